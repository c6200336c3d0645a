"""The room page without JavaScript: the stage and the chat lines as self-refreshing frames.

A page cannot refresh part of itself without scripts, and reloading the whole room page
wipes a chat message being typed. So for browsers without JavaScript the room page holds
still (it keeps the composer), and what must stay fresh lives in two small documents it
frames (`<noscript><iframe>`), each reloading itself with `<meta http-equiv="refresh">`.
Their links and forms act on the whole page (`<base target="_top">`). Only these two
answers may be framed, and only by this site (docs/show-rules.md explains the choice).
"""

from __future__ import annotations

from flask import Response, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.blueprints.rooms import bp
from app.blueprints.rooms.guards import viewer_id
from app.errors import status_for
from app.models import RoomStatus
from app.security import CSP
from app.services import chat as chat_service
from app.services.errors import DomainError
from app.services.room_chat_access import may_use_room_chat
from app.services.rooms import visible_room
from app.services.show_view import stage_for

# The same refresh the whole page used to do: often enough to follow a show.
REFRESH_SECONDS = 5
FRAME_CSP = CSP.replace("frame-ancestors 'none'", "frame-ancestors 'self'")


def _framed(template: str, status: int = 200, **context) -> Response:
    """Render a frame document that only pages of this site may embed, never cached."""
    response = Response(
        render_template(template, refresh_seconds=REFRESH_SECONDS, **context), status
    )
    response.headers["Content-Security-Policy"] = FRAME_CSP
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    response.headers["Cache-Control"] = "no-store"
    return response


def _notice(room_id: int, title: str, message: str, status: int, *, refresh: bool) -> Response:
    """A frame that says why there is nothing to show (it keeps refreshing when asked)."""
    return _framed(
        "rooms/frame_notice.html",
        status,
        frame_title=title,
        message=message,
        refresh=refresh,
        room_url=url_for("rooms.show", room_id=room_id),
    )


@bp.get("/<int:room_id>/frames/stage")
def stage_frame(room_id: int):
    """The stage as a self-refreshing document, framed by the room page without JavaScript."""
    try:
        stage = stage_for(room_id, viewer_id())
    except DomainError as error:
        return _notice(room_id, _("Stage"), error.message, status_for(error), refresh=False)
    room = stage.room
    return _framed(
        "rooms/stage_frame.html",
        room=room,
        stage=stage,
        refresh=room.status in (RoomStatus.LOBBY, RoomStatus.LIVE),
    )


@bp.get("/<int:room_id>/frames/chat")
@login_required
def chat_frame(room_id: int):
    """The room chat's latest lines as a self-refreshing document (the composer stays in the
    room page, so a draft survives every refresh)."""
    user_id = current_user.id
    try:
        visible_room(room_id, user_id)
    except DomainError as error:
        return _notice(room_id, _("Chat messages"), error.message, status_for(error), refresh=False)
    if not may_use_room_chat(user_id, room_id):
        # Keeps refreshing: when the host reopens the chat, the lines come back by themselves.
        closed = _("Only members can read this chat now.")
        return _notice(room_id, _("Chat messages"), closed, 403, refresh=True)
    channel_id, lines = chat_service.room_latest(room_id)
    messages_url = url_for("chat.room_messages", room_id=room_id)
    return _framed(
        "rooms/chat_frame.html",
        channel_id=channel_id,
        messages=lines,
        has_older=bool(lines) and lines[0].seq > 1,
        viewer_id=user_id,
        before=None,
        messages_url=messages_url,
        page_url=messages_url,
        refresh=True,
    )
