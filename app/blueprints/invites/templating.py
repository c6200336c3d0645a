"""What the room page's share panel needs: the room's live invite link."""

from __future__ import annotations

from flask import url_for
from flask_login import current_user

from app.blueprints.invites import bp
from app.services import invites


def invite_url(code: str) -> str:
    """Return the full invite URL of a code, as it is shared and drawn in the QR code."""
    return url_for("invites.open_invite", code=code, _external=True)


def room_invite_url(room_id: int) -> str | None:
    """Return the room's invite link for a signed-in viewer (created on first use)."""
    if not current_user.is_authenticated:
        return None
    return invite_url(invites.live_invite(room_id).code)


@bp.app_context_processor
def _invite_globals() -> dict:
    return {"room_invite_url": room_invite_url}
