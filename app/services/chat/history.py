"""Reading a channel's lines: the latest page, catching up after a number, scrolling back."""

from __future__ import annotations

from functools import cache

from sqlalchemy import Integer, bindparam, select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import Message

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
