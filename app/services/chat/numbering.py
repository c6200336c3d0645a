"""The numbering step of a post: the seat check and the line's number, in one UPDATE.

The seat check, the site sanctions (ban, timeout, panic mode), the channel lookup and the
sequence number are one statement: an `UPDATE channels … WHERE <the poster holds a seat and
may chat now> RETURNING …` that also locks the channel row, so concurrent posts get
1, 2, 3, … and a rolled-back post leaves no gap. chat/persist.py stores the line under the
number, in the same statement on PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache

from sqlalchemy import Integer, String, bindparam, case, func, select, update

from app.database import utcnow
from app.models import Channel, ChannelKind, Room, User
from app.models.types import UTCDateTime
from app.prepared import execute_prepared
from app.services import panic, sanctions
from app.services.chat.access import conversation_seat
from app.services.room_chat_access import room_chat_clause


@dataclass(frozen=True)
class Numbered:
    """What the numbering statement hands back about the channel it wrote to."""

    channel_id: int
    seq: int
    kind: ChannelKind
    # The room's slow mode for this poster (0: off, a conversation, or the host).
    slow_seconds: int = 0


def _seat_clause(user_id):
    """WHERE clause: `user_id` may write to the channel row being updated."""
    return ((Channel.kind == ChannelKind.ROOM) & room_chat_clause(user_id, Channel.room_id)) | (
        (Channel.kind != ChannelKind.ROOM) & conversation_seat(user_id, Channel.id)
    )


@cache
def numbering_statement(
    by_room: bool, conversations_only: bool, unslowed: bool = False, signed_in: bool = False
):
    """The numbering UPDATE, built once per shape with bound parameters.

    Building this statement (seat, sanctions, panic mode, slow mode: a dozen subqueries)
    cost more CPU than the database took to run it; built once, each post only binds
    `user_id`, `target`, `now` and `joined_before`. With `unslowed` it takes no number
    where slow mode holds the poster. With `signed_in` it also binds `token` and takes a
    number only while that is still the poster's session token: the post's statement is
    then the check that the session is current (see chat/persist.py).
    """
    user_id = bindparam("user_id", type_=Integer)
    now = bindparam("now", type_=UTCDateTime)
    joined_before = bindparam("joined_before", type_=UTCDateTime)
    target_id = bindparam("target", type_=Integer)
    target = Channel.room_id == target_id if by_room else Channel.id == target_id
    if conversations_only:
        target = target & (Channel.kind != ChannelKind.ROOM)
    # The host is not slowed down in their own room.
    slow = (
        select(case((Room.host_id == user_id, 0), else_=Room.chat_slow_seconds))
        .where(Room.id == Channel.room_id)
        .scalar_subquery()
    )
    if unslowed:
        target = target & (func.coalesce(slow, 0) == 0)
    if signed_in:
        # Here, not in the SELECT that reads the UPDATE's rows: a data-modifying WITH runs
        # whether or not anything reads it.
        token = bindparam("token", type_=String)
        session_current = select(User.id).where(User.id == user_id, User.session_token == token)
        target = target & session_current.exists()
    return (
        update(Channel)
        .where(
            target,
            _seat_clause(user_id),
            sanctions.may_chat_clause(user_id, Channel.room_id, now, joined_before),
        )
        .values(last_seq=Channel.last_seq + 1, last_message_at=now)
        .returning(Channel.id, Channel.last_seq, Channel.kind, slow.label("slow_seconds"))
        .execution_options(synchronize_session=False)
    )


def number_line(
    user_id: int,
    *,
    channel_id: int | None = None,
    room_id: int | None = None,
    conversations_only: bool = False,
    now: datetime | None = None,
) -> Numbered | None:
    """Take the channel's next number if `user_id` holds a seat and may chat; else None.

    Pass `channel_id`, or `room_id` for a room's channel (None too when it has none yet);
    `conversations_only` refuses a room's channel. The caller tells the reasons apart
    after a None (it is the rare path).
    """
    now = now or utcnow()
    row = execute_prepared(
        numbering_statement(channel_id is None, conversations_only),
        numbering_values(user_id, channel_id, room_id, now),
    ).first()
    if row is None:
        return None
    return Numbered(row[0], row[1], row[2], int(row[3] or 0))


def numbering_values(
    user_id: int, channel_id: int | None, room_id: int | None, now: datetime
) -> dict:
    """The numbering UPDATE's parameters: the poster, the channel or room, and the time."""
    return {
        "user_id": user_id,
        "target": room_id if channel_id is None else channel_id,
        "now": now,
        "joined_before": panic.joined_before(now),
    }
