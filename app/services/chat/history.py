"""Reading a channel's lines: the latest page, catching up after a number, scrolling back."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import NamedTuple

from sqlalchemy import Integer, bindparam, select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import Channel, Message, MessageKind, User
from app.services.chat.access import room_channel_id

PAGE_SIZE = 50
AFTER_LIMIT = 200


def lines():
    """Select messages with their senders loaded."""
    return select(Message).options(selectinload(Message.sender))


@cache
def _latest_statement():
    """Built once: every room page and conversation reads it."""
    return (
        lines()
        .where(Message.channel_id == bindparam("channel_id", type_=Integer))
        .order_by(Message.seq.desc())
        .limit(bindparam("limit", type_=Integer))
    )


def latest(channel_id: int, limit: int = PAGE_SIZE) -> list[Message]:
    """Return the newest `limit` lines, oldest first."""
    rows = db.session.scalars(_latest_statement(), {"channel_id": channel_id, "limit": limit})
    return list(reversed(rows.all()))


class Sender(NamedTuple):
    """A line's author, as a page shows them."""

    display_name: str


class Line(NamedTuple):
    """A chat line read as plain columns: what chat/_line.html reads of a Message.

    A room page shows fifty of them; loading each as an ORM object with its sender cost
    more than the statement that read them.
    """

    id: int
    channel_id: int
    sender_id: int | None
    kind: MessageKind
    seq: int
    body: str
    created_at: datetime
    deleted_at: datetime | None
    sender: Sender | None


@cache
def _room_latest_statement():
    """Built once: a room's channel and its newest lines with their authors, together.

    Lines are numbered 1..last_seq without gaps, so the newest `limit` are the ones above
    `last_seq - limit`: a range of the (channel, seq) index that the channel's own row
    bounds, where `latest` needs the channel id first and a second read for the senders.
    """
    limit = bindparam("limit", type_=Integer)
    newest = (Message.channel_id == Channel.id) & (Message.seq > Channel.last_seq - limit)
    return (
        select(
            Message.id,
            Message.channel_id,
            Message.sender_id,
            Message.kind,
            Message.seq,
            Message.body,
            Message.created_at,
            Message.deleted_at,
            User.display_name,
        )
        .select_from(Channel)
        .join(Message, newest)
        .outerjoin(User, User.id == Message.sender_id)
        .where(Channel.room_id == bindparam("room_id", type_=Integer))
        .order_by(Message.seq)
    )


def room_latest(room_id: int, limit: int = PAGE_SIZE) -> tuple[int, list[Line]]:
    """Return a room's channel id and its newest `limit` lines, oldest first, in one read.

    A chat with no line yet reads its channel's id on its own (`room_channel_id`, which
    creates the channel on a room's first visit).
    """
    rows = db.session.execute(_room_latest_statement(), {"room_id": room_id, "limit": limit})
    lines = [Line(*row[:8], Sender(row[8]) if row[8] is not None else None) for row in rows]
    if not lines:
        return room_channel_id(room_id), []
    return lines[0].channel_id, lines


def after(channel_id: int, seq: int, limit: int = AFTER_LIMIT) -> list[Message]:
    """Return up to `limit` lines numbered after `seq`, oldest first (for catching up)."""
    return list(
        db.session.scalars(
            lines()
            .where(Message.channel_id == channel_id, Message.seq > seq)
            .order_by(Message.seq)
            .limit(limit)
        ).all()
    )


def before(channel_id: int, seq: int, limit: int = PAGE_SIZE) -> list[Message]:
    """Return up to `limit` lines numbered before `seq`, oldest first (for scrolling back)."""
    rows = db.session.scalars(
        lines()
        .where(Message.channel_id == channel_id, Message.seq < seq)
        .order_by(Message.seq.desc())
        .limit(limit)
    ).all()
    return list(reversed(rows))
