"""The persist step of a post: one write transaction that checks the seat, numbers the
line and stores it.

The seat check, the site sanctions (ban, timeout, panic mode), the channel lookup and the
sequence number are one statement: an `UPDATE channels … WHERE <the poster holds a seat and
may chat now> RETURNING …` that also locks the channel row, so concurrent posts get
1, 2, 3, … and a rolled-back post leaves no gap.

Slow mode is checked by the INSERT itself (`INSERT … SELECT … WHERE NOT EXISTS <a line of
theirs in the window>`). It cannot sit in the UPDATE: on PostgreSQL an UPDATE that waited
for the channel lock re-checks its conditions against its old snapshot, which misses the
line the lock holder just committed. The INSERT is the next statement, so under read
committed it takes a fresh snapshot after the lock is held, and sees every earlier line.

On PostgreSQL a post's UPDATE and INSERT are one statement, the INSERT reading the
UPDATE's RETURNING (`number_and_store`), prepared on each connection (app/prepared.py):
planning the UPDATE's subqueries cost the database more than running them. That statement
takes a number only when it stores the line under it, so it is a whole write on its own
and runs without BEGIN and COMMIT around it (app/first_write.py): a post is one round trip
after loading the signed-in user. Whatever it refuses falls to the two statements inside
a transaction: slow mode (for the snapshot reason above), a retried client id, no seat.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import Integer, bindparam, case, func, insert, select, true, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import make_transient_to_detached

from app.database import begin_write, execute_built, is_sqlite, utcnow
from app.extensions import db
from app.models import Channel, ChannelKind, ChannelMember, Message, MessageKind, Room
from app.models.types import UTCDateTime
from app.prepared import execute_prepared, prepared_statements_on, self_contained
from app.services import panic, sanctions
from app.services.chat.access import conversation_seat
from app.services.chat.errors import SlowMode
from app.services.room_chat_access import room_chat_clause


@dataclass(frozen=True)
class Numbered:
    """What the numbering statement hands back about the channel it wrote to."""

    channel_id: int
    seq: int
    kind: ChannelKind
    # The room's slow mode for this poster (0: off, a conversation, or the host).
    slow_seconds: int = 0


def begin_post() -> None:
    """Make the request's transaction the post's write transaction.

    On PostgreSQL the read transaction that loaded the signed-in user simply goes on
    (read committed: every statement sees the latest commits, and the UPDATE takes the row
    lock), so a post is one transaction. SQLite must end the read snapshot and take the
    write lock first (BEGIN IMMEDIATE), or a stale snapshot could meet another writer.
    """
    if is_sqlite():
        begin_write()


def _seat_clause(user_id):
    """WHERE clause: `user_id` may write to the channel row being updated."""
    return ((Channel.kind == ChannelKind.ROOM) & room_chat_clause(user_id, Channel.room_id)) | (
        (Channel.kind != ChannelKind.ROOM) & conversation_seat(user_id, Channel.id)
    )


@cache
def _numbering_statement(by_room: bool, conversations_only: bool, unslowed: bool = False):
    """The numbering UPDATE, built once per shape with bound parameters.

    Building this statement (seat, sanctions, panic mode, slow mode: a dozen subqueries)
    cost more CPU than the database took to run it; built once, each post only binds
    `user_id`, `target`, `now` and `joined_before`. With `unslowed` it takes no number
    where slow mode holds the poster.
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
        _numbering_statement(channel_id is None, conversations_only),
        _numbering_values(user_id, channel_id, room_id, now),
    ).first()
    if row is None:
        return None
    return Numbered(row[0], row[1], row[2], int(row[3] or 0))


def _numbering_values(
    user_id: int, channel_id: int | None, room_id: int | None, now: datetime
) -> dict:
    """The numbering UPDATE's parameters: the poster, the channel or room, and the time."""
    return {
        "user_id": user_id,
        "target": room_id if channel_id is None else channel_id,
        "now": now,
        "joined_before": panic.joined_before(now),
    }


_LINE_COLUMNS = ("channel_id", "sender_id", "kind", "seq", "body", "client_id", "created_at")


def _line_binds(names: tuple[str, ...]) -> dict:
    """Bound parameters for a line's columns, typed as the columns are."""
    table = Message.__table__
    return {name: bindparam(name, type_=table.c[name].type) for name in names}


def _line_values(
    sender_id: int | None, body: str, client_id: str | None, kind: MessageKind, now: datetime
) -> dict:
    """A line's own values; its channel and number come from the numbering."""
    return {
        "sender_id": sender_id,
        "kind": kind,
        "body": body,
        "client_id": client_id,
        "created_at": now,
    }


@cache
def _insert_statement(slow: bool):
    """The line's INSERT … RETURNING id, built once per shape with bound parameters.

    With `slow`, it inserts only if the sender wrote no line since `:since`, so the slow
    mode check is the INSERT itself (see the module's docstring). A Core statement, not an
    ORM flush: the unit of work cost more CPU than the rest of the post's database work.
    """
    table = Message.__table__
    values = _line_binds(_LINE_COLUMNS)
    if not slow:
        return insert(table).values(values).returning(table.c.id)
    recent = (
        select(table.c.id)
        .where(
            table.c.channel_id == values["channel_id"],
            table.c.sender_id == values["sender_id"],
            table.c.kind == MessageKind.USER,
            table.c.created_at > bindparam("since", type_=table.c.created_at.type),
        )
        .exists()
    )
    source = select(*values.values()).where(~recent)
    return insert(table).from_select(list(_LINE_COLUMNS), source).returning(table.c.id)


@cache
def _number_and_insert_statement(by_room: bool, conversations_only: bool):
    """PostgreSQL: the numbering UPDATE and the line's INSERT as one self-contained statement.

    The INSERT reads the number from the UPDATE's RETURNING (a data-modifying WITH), so a
    post is one round trip, and it needs no transaction around it: the UPDATE takes a number
    only where the INSERT will store the line. It takes none where slow mode holds the
    poster (that check must see lines committed while the UPDATE waited for the channel's
    lock: see the module's docstring), and a client id stored already fails the whole
    statement on the unique (sender, client id), so no number is ever left without a line.

    Addressed by channel (a conversation, or a room's first lines), it also moves the
    sender's read mark in a conversation, in the same statement.
    """
    numbered = _numbering_statement(by_room, conversations_only, unslowed=True).cte("numbered")
    table = Message.__table__
    values = _line_binds(("sender_id", "kind", "body", "client_id", "created_at"))
    source = select(
        numbered.c.id,
        values["sender_id"],
        values["kind"],
        numbered.c.last_seq,
        values["body"],
        values["client_id"],
        values["created_at"],
    )
    stored = (
        insert(table).from_select(list(_LINE_COLUMNS), source).returning(table.c.id).cte("stored")
    )
    statement = select(
        numbered.c.id,
        numbered.c.last_seq,
        numbered.c.kind,
        stored.c.id.label("message_id"),
    ).select_from(numbered.join(stored, true()))
    if by_room:
        return self_contained(statement)
    members = ChannelMember.__table__
    read_mark = (
        update(members)
        .where(
            members.c.channel_id == numbered.c.id,
            members.c.user_id == values["sender_id"],
            numbered.c.kind != ChannelKind.ROOM,
        )
        .values(last_read_seq=numbered.c.last_seq)
        .cte("read_mark")
    )
    # Nothing reads the read mark's WITH, so it must be attached to be sent at all.
    return self_contained(statement.add_cte(read_mark))


@cache
def _read_mark_statement():
    """The sender's read mark in a conversation, moved to the line they wrote (built once)."""
    table = ChannelMember.__table__
    return (
        update(table)
        .where(table.c.channel_id == bindparam("channel"), table.c.user_id == bindparam("user"))
        .values(last_read_seq=bindparam("seq"))
    )


def store_line(
    numbered: Numbered,
    sender_id: int | None,
    body: str,
    *,
    client_id: str | None = None,
    kind: MessageKind = MessageKind.USER,
    now: datetime | None = None,
) -> Message:
    """Insert the numbered line; in a conversation the sender has now read up to it.

    Under slow mode the INSERT carries the window check and raises SlowMode.
    """
    now = now or utcnow()
    values = {"channel_id": numbered.channel_id, "seq": numbered.seq} | _line_values(
        sender_id, body, client_id, kind, now
    )
    slow = numbered.slow_seconds > 0 and sender_id is not None and kind == MessageKind.USER
    since = {"since": now - timedelta(seconds=numbered.slow_seconds)} if slow else {}
    new_id = execute_prepared(_insert_statement(slow), values | since).scalar()
    if new_id is None:
        raise SlowMode(numbered.slow_seconds)
    return _stored(numbered, new_id, values)


def _stored(numbered: Numbered, new_id: int, values: dict, *, mark_read: bool = True) -> Message:
    """The written line as the session's object (no SELECT), and the sender's read mark."""
    message = Message(id=new_id, deleted_at=None, **values)
    make_transient_to_detached(message)
    db.session.add(message)
    sender_id = values["sender_id"]
    if mark_read and sender_id is not None and numbered.kind != ChannelKind.ROOM:
        # Whoever writes a line has read everything up to it (room chats keep no marks).
        execute_built(
            _read_mark_statement(),
            {"channel": numbered.channel_id, "user": sender_id, "seq": numbered.seq},
        )
    return message


@dataclass(frozen=True)
class Stored:
    """What a post's write did: the number it took, and its line or why none was stored.

    With no line, the caller rolls back (which returns the number unused): `refusal` is
    SLOW (a line of theirs is inside the slow-mode window) or DUPLICATE (the client id is
    stored already: a retry).
    """

    numbered: Numbered
    message: Message | None
    refusal: str | None = None


SLOW = "slow"
DUPLICATE = "duplicate"


def number_and_store(
    user_id: int,
    body: str,
    client_id: str,
    now: datetime,
    *,
    channel_id: int | None = None,
    room_id: int | None = None,
    conversations_only: bool = False,
) -> Stored | None:
    """Number and store a user's line if they hold a seat and may chat; else None.

    Targets as for `number_line`. With prepared statements (PostgreSQL) a post is one
    self-contained statement; what it refuses, and every post elsewhere, numbers and
    stores in two statements in the caller's transaction, which tell the refusals apart.
    (The one statement runs only prepared: SQLAlchemy cannot run it as it is, because its
    UPDATE is read twice in one query and loses its literals' values on the way.)
    """
    if prepared_statements_on():
        stored = _number_and_store_at_once(
            user_id, body, client_id, now, channel_id, room_id, conversations_only
        )
        if stored is not None:
            return stored
    numbered = number_line(
        user_id,
        channel_id=channel_id,
        room_id=room_id,
        conversations_only=conversations_only,
        now=now,
    )
    if numbered is None:
        return None
    return _store_after(numbered, user_id, body, client_id, now)


def _number_and_store_at_once(
    user_id: int,
    body: str,
    client_id: str,
    now: datetime,
    channel_id: int | None,
    room_id: int | None,
    conversations_only: bool,
) -> Stored | None:
    """Run the one statement; None when it wrote nothing (slow mode, a retry, no seat)."""
    by_room = channel_id is None
    values = _line_values(user_id, body, client_id, MessageKind.USER, now)
    try:
        row = execute_prepared(
            _number_and_insert_statement(by_room, conversations_only),
            values | _numbering_values(user_id, channel_id, room_id, now),
        ).first()
    except IntegrityError:
        # The client id is stored already. The failed statement left nothing behind (had a
        # transaction been open, it would be unusable now: the rollback ends it), and the
        # two statements find out whether it is a retry of this line.
        db.session.rollback()
        return None
    if row is None:
        return None
    numbered = Numbered(row[0], row[1], row[2])
    line = values | {"channel_id": numbered.channel_id, "seq": numbered.seq}
    # The statement moved the read mark already (addressed by channel: see above).
    return Stored(numbered, _stored(numbered, row[3], line, mark_read=by_room))


def _store_after(
    numbered: Numbered, user_id: int, body: str, client_id: str, now: datetime
) -> Stored:
    """Store the line under a number already taken, as its own INSERT."""
    try:
        return Stored(numbered, store_line(numbered, user_id, body, client_id=client_id, now=now))
    except SlowMode:
        return Stored(numbered, None, SLOW)
    except IntegrityError:
        # The unique (sender, client id) refused it: a retry, or the same post twice at once.
        return Stored(numbered, None, DUPLICATE)


def persist(
    channel_id: int,
    sender_id: int | None,
    body: str,
    *,
    client_id: str | None = None,
    kind: MessageKind = MessageKind.USER,
) -> Message:
    """Store a line under the channel's next number, no seat asked (system lines, demo data).

    Runs inside the caller's transaction.
    """
    row = db.session.execute(
        update(Channel)
        .where(Channel.id == channel_id)
        .values(last_seq=Channel.last_seq + 1, last_message_at=utcnow())
        .returning(Channel.id, Channel.last_seq, Channel.kind)
        .execution_options(synchronize_session=False)
    ).one()
    numbered = Numbered(row[0], row[1], row[2])
    return store_line(numbered, sender_id, body, client_id=client_id, kind=kind)
