"""Guards that make the room views read like sentences."""

from __future__ import annotations

from flask import abort, request
from flask_babel import gettext as _
from flask_login import current_user

from app.models import Room
from app.services import rooms as rooms_service
from app.services.errors import DomainError


def viewer_id() -> int | None:
    """Return the signed-in user's id, or None for visitors."""
    return current_user.id if current_user.is_authenticated else None


def get_room_or_404(room_id: int) -> Room:
    """Return the room the viewer may see, or answer 404."""
    try:
        return rooms_service.visible_room(room_id, viewer_id())
    except DomainError:
        abort(404)


def require_host(room: Room) -> None:
    """Answer 403 unless the viewer hosts the room."""
    if viewer_id() != room.host_id:
        raise rooms_service.NotHost()


def form_int(name: str) -> int | None:
    """Return a positive integer form field, or None when absent; 400 when it is garbage."""
    raw = (request.form.get(name) or "").strip()
    if not raw:
        return None
    if not raw.isascii() or not raw.isdigit() or len(raw) > 12:
        abort(400, description=_("That is not a valid choice."))
    return int(raw)
