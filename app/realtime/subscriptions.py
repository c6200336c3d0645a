"""Take a person's open sockets out of a Socket.IO room they no longer belong to."""

from __future__ import annotations

from app.extensions import socketio


def unsubscribe_user(user_id: int, socket_room: str) -> int:
    """Make this process's sockets of `user_id` leave `socket_room`; return how many left.

    Subscribing checks membership, but a socket that joined before its user left would keep
    hearing the room until it reconnects. Sockets held by other processes are reached only
    on their next (re)connect, when subscribe refuses them.
    """
    server = getattr(socketio, "server", None)
    if server is None:
        return 0
    left = 0
    for sid, _eio_sid in list(server.manager.get_participants("/", f"user:{user_id}")):
        server.leave_room(sid, socket_room, namespace="/")
        left += 1
    return left
