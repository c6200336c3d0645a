"""Chat: channels for rooms and conversations, posting, reading and unread counts."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import ChannelMember


def can_read(user_id: int, channel_id: int) -> bool:
    """Tell whether `user_id` is a current member of the channel."""
    return (
        db.session.scalar(
            select(ChannelMember.id).where(
                ChannelMember.channel_id == channel_id,
                ChannelMember.user_id == user_id,
                ChannelMember.left_at.is_(None),
            )
        )
        is not None
    )
