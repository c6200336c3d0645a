"""Unread counts: derived from the channel's last number and each member's read mark.

Nothing is stored or counted per member when a line is posted; a count is a subtraction
made when someone asks (the badge, the list), and the `inbox` push only says "ask".
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select, update

from app.database import begin_write
from app.extensions import db
from app.models import Channel, ChannelKind, ChannelMember
from app.realtime.broadcast import broadcast
from app.realtime.events import INBOX
from app.services.chat.access import conversation


def unread_in(user_id: int, channel_id: int) -> int:
    """Return how many lines of the conversation `user_id` has not read."""
    value = db.session.scalar(
        select(Channel.last_seq - ChannelMember.last_read_seq)
        .join(ChannelMember, ChannelMember.channel_id == Channel.id)
        .where(
            Channel.id == channel_id,
            ChannelMember.user_id == user_id,
            ChannelMember.left_at.is_(None),
        )
    )
    return max(0, int(value or 0))


def unread_total_query(user_id: int):
    """The SELECT of `user_id`'s unread lines across their conversations (one scalar), for
    callers that fold it into a bigger statement (the navigation badges)."""
    return (
        select(func.coalesce(func.sum(Channel.last_seq - ChannelMember.last_read_seq), 0))
        .join(ChannelMember, ChannelMember.channel_id == Channel.id)
        .where(
            ChannelMember.user_id == user_id,
            ChannelMember.left_at.is_(None),
            Channel.kind != ChannelKind.ROOM,
        )
    )


def unread_total(user_id: int) -> int:
    """Return how many lines `user_id` has not read across their conversations."""
    value = db.session.scalar(unread_total_query(user_id))
    return max(0, int(value or 0))


def queue_inbox_for_members(channel_id: int, member_ids: Sequence[int] | None = None) -> None:
    """Tell every present member, with one event, that the conversation has a new line.

    The event carries no counts: each page asks for its own badge and list (a subtraction
    made on read), so the post pays one emit to all their rooms, whatever the group's
    size. `member_ids` are the present members if the caller read them (on PostgreSQL the
    post's own statement does); else one small SELECT reads them here.
    """
    if member_ids is None:
        member_ids = db.session.scalars(
            select(ChannelMember.user_id).where(
                ChannelMember.channel_id == channel_id, ChannelMember.left_at.is_(None)
            )
        ).all()
    if member_ids:
        broadcast(INBOX, {"channel_id": channel_id}, [f"user:{uid}" for uid in member_ids])


def queue_inbox(user_id: int, channel_id: int) -> None:
    """Tell `user_id`'s pages that their counts for the conversation changed (they read
    it, or left it)."""
    broadcast(INBOX, {"channel_id": channel_id}, f"user:{user_id}")


def mark_read(user_id: int, channel_id: int, seq: int | None = None) -> int:
    """Record that `user_id` has read the conversation up to `seq` (default: all); return unread.

    The mark only moves forward, so an old page cannot make read lines unread again.
    """
    channel = conversation(user_id, channel_id)
    target = channel.last_seq if seq is None else max(0, min(seq, channel.last_seq))
    read_up_to = db.session.scalar(
        select(ChannelMember.last_read_seq).where(
            ChannelMember.channel_id == channel_id, ChannelMember.user_id == user_id
        )
    )
    if read_up_to is not None and read_up_to < target:
        begin_write()
        changed = db.session.execute(
            update(ChannelMember)
            .where(
                ChannelMember.channel_id == channel_id,
                ChannelMember.user_id == user_id,
                ChannelMember.last_read_seq < target,
            )
            .values(last_read_seq=target)
            .execution_options(synchronize_session=False)
        ).rowcount
        if changed:
            queue_inbox(user_id, channel_id)
        db.session.commit()
    return unread_in(user_id, channel_id)
