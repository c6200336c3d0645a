"""Take a person's open sockets out of a channel they no longer belong to."""

from __future__ import annotations

from app.extensions import socketio


def evict_from_channel(user_id: int, channel_id: int) -> int:
    """Make this process's sockets of `user_id` leave `channel:<id>`; return how many left.

    Subscribing checks membership, but a socket that joined before its user left would keep
    hearing the channel until it reconnects. Sockets held by other processes are reached
    only on their next (re)connect, when subscribe refuses them.
    """
    server = getattr(socketio, "server", None)
    if server is None:
        return 0
    evicted = 0
    for sid, _eio_sid in list(server.manager.get_participants("/", f"user:{user_id}")):
        server.leave_room(sid, f"channel:{channel_id}", namespace="/")
        evicted += 1
    return evicted


def evict_from_room_chat(user_id: int, room_id: int) -> int:
    """Make this process's sockets of `user_id` stop hearing a room's chat (after leaving it)."""
    from sqlalchemy import select

    from app.extensions import db
    from app.models import Channel

    channel_id = db.session.scalar(select(Channel.id).where(Channel.room_id == room_id))
    return evict_from_channel(user_id, channel_id) if channel_id is not None else 0
