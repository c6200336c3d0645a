"""What chat gives every template: the room chat panel and the unread badge."""

from __future__ import annotations

from flask_login import current_user

from app import badges
from app.blueprints.chat import bp
from app.services import chat as chat_service
from app.services.room_chat_access import may_use_room_chat


@bp.record_once
def _register(state) -> None:
    """Watch the Redis publisher, so the post gate sheds while publishes are being lost."""
    chat_service.watch_publisher()


def room_panel(room) -> dict:
    """Return what `chat/_room_panel.html` needs for `room` and the current viewer."""
    if room is None or not current_user.is_authenticated:
        return {"member": False}
    if not may_use_room_chat(current_user.id, room.id):
        return {"member": False}
    channel_id = chat_service.room_channel_id(room.id)
    lines = chat_service.latest(channel_id)
    return {
        "member": True,
        "channel_id": channel_id,
        "messages": lines,
        "has_older": bool(lines) and lines[0].seq > 1,
        "client_id": chat_service.new_client_id(),
    }


def unread_total() -> int:
    """Return the viewer's unread conversation lines (0 for visitors, or when the database
    cannot say); read with the other badges in one statement (app/badges.py)."""
    if not current_user.is_authenticated:
        return 0
    return badges.counts(current_user.id).chat_unread


@bp.app_context_processor
def _chat_globals() -> dict:
    return {"chat_room_panel": room_panel, "chat_unread_total": unread_total}
