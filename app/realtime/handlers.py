"""Socket.IO connection and subscription handlers.

Identity comes from the Flask session and membership from the database, never from the
payload. Clients send nothing else over the socket: every change is an HTTP request.

`connect` and `disconnect` are lifecycle events the server raises itself, but a client can
also emit events by those names; the handlers tell the two apart and ignore the client's.
"""

from __future__ import annotations

from flask import request, session
from flask_login import current_user
from flask_socketio import join_room

from app.extensions import socketio
from app.request_input import MAX_BIGINT
from app.services import chat as chat_service
from app.services import rooms as rooms_service
from app.services.posts import writing as post_writing
from app.services.presence import room_went_offline, room_went_online


def _sent_by_client() -> bool:
    """Tell whether the current `connect`/`disconnect` is an event a client emitted.

    While the server runs the real handlers the socket is still pending (connecting or
    disconnecting), so the manager does not count it as connected; an already connected
    socket that "connects" or "disconnects" is a client sending a reserved name.
    """
    server = getattr(socketio, "server", None)
    return server is not None and server.manager.is_connected(request.sid, "/")


@socketio.on("connect")
def on_connect(auth=None) -> bool | None:
    """Accept only logged-in sessions; join the user's and the session's personal rooms."""
    if _sent_by_client():
        return None
    if not current_user.is_authenticated:
        return False
    join_room(f"user:{current_user.id}")
    if "sid" in session:
        join_room(f"session:{session['sid']}")
    return True


def _int(value: object) -> int | None:
    """Return `value` as a positive 64-bit int id, or None (bools and strings are not ids)."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_BIGINT:
        return value
    return None


@socketio.on("subscribe")
def on_subscribe(data=None) -> dict:
    """Join `room:<id>`, `channel:<id>` or `post:<id>` after checking access; answer with an ack."""
    if not current_user.is_authenticated:
        return {"ok": False, "error": "unauthorized"}
    data = data if isinstance(data, dict) else {}
    room_id, channel_id = _int(data.get("room_id")), _int(data.get("channel_id"))
    if room_id is not None:
        if not rooms_service.can_watch(current_user.id, room_id):
            return {"ok": False, "error": "not_found"}
        join_room(f"room:{room_id}")
        room_went_online(room_id, current_user.id, request.sid)
        return {"ok": True, "room": f"room:{room_id}"}
    if channel_id is not None:
        if not chat_service.can_read(current_user.id, channel_id):
            return {"ok": False, "error": "not_found"}
        join_room(f"channel:{channel_id}")
        return {"ok": True, "room": f"channel:{channel_id}"}
    post_id = _int(data.get("post_id"))
    if post_id is not None:
        if not post_writing.post_exists(post_id, current_user.id):
            return {"ok": False, "error": "not_found"}
        join_room(f"post:{post_id}")
        return {"ok": True, "room": f"post:{post_id}"}
    if data.get("leaderboard") is True:
        join_room("leaderboard")
        return {"ok": True, "room": "leaderboard"}
    return {"ok": False, "error": "bad_request"}


@socketio.on("disconnect")
def on_disconnect(reason=None) -> None:
    """Tell the rooms this connection watched that it went away."""
    if _sent_by_client():
        return
    room_went_offline(request.sid)
