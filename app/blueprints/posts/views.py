"""Small pieces every highlights view shares: the viewer, page size and like intent."""

from __future__ import annotations

from flask import current_app, request
from flask_login import current_user


def viewer_id() -> int | None:
    """Return the signed-in viewer's id, or None for visitors."""
    return current_user.id if current_user.is_authenticated else None


def page_size() -> int:
    """Return how many posts a feed page holds."""
    return current_app.config["FEED_PAGE_SIZE"]


def cursor_arg() -> str | None:
    """Return the `cursor` query argument (the position after the last item shown)."""
    return request.args.get("cursor") or None


def wanted_like(currently: bool) -> bool:
    """Read the button's intent: `like` or `unlike` (so a double tap cannot undo itself);
    a form without it toggles."""
    action = request.form.get("action")
    if action == "like":
        return True
    if action == "unlike":
        return False
    return not currently
