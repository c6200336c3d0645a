"""Stop a person's open sockets hearing a chat they no longer belong to."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import Channel
from app.realtime.subscriptions import unsubscribe_user


def evict_from_channel(user_id: int, channel_id: int) -> int:
    """Make this process's sockets of `user_id` leave `channel:<id>`."""
    return unsubscribe_user(user_id, f"channel:{channel_id}")


def evict_from_room_chat(user_id: int, room_id: int) -> int:
    """Make this process's sockets of `user_id` stop hearing a room's chat (after leaving it)."""
    channel_id = db.session.scalar(select(Channel.id).where(Channel.room_id == room_id))
    return evict_from_channel(user_id, channel_id) if channel_id is not None else 0
