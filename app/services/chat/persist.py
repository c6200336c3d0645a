"""The persist step of a post: one write transaction that checks the seat, numbers the
line and stores it.

The seat check and the number are the numbering UPDATE (chat/numbering.py). Slow mode is
checked by the INSERT itself (`INSERT … SELECT … WHERE NOT EXISTS <a line of theirs in the
window>`). It cannot sit in the UPDATE: on PostgreSQL an UPDATE that waited for the
channel lock re-checks its conditions against its old snapshot, which misses the line the
lock holder just committed. The INSERT is the next statement, so under read committed it
takes a fresh snapshot after the lock is held, and sees every earlier line.

On PostgreSQL a post's UPDATE and INSERT are one statement, the INSERT reading the
UPDATE's RETURNING (`number_and_store`), prepared on each connection (app/prepared.py):
planning the UPDATE's subqueries cost the database more than running them. That statement
takes a number only when it stores the line under it, so it is a whole write on its own
and runs without BEGIN and COMMIT around it (app/first_write.py). It also checks the
poster's session token and returns their row, so no statement loads the signed-in user
first: a post is one round trip. Whatever it refuses falls to the general path inside a
transaction, which loads the user and checks the token (a stale one raises SessionEnded),
then runs two statements: slow mode (for the snapshot reason above), a retried client id,
no seat.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import bindparam, func, insert, select, true, update
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from app.database import as_loaded, begin_write, execute_built, is_sqlite, utcnow
from app.extensions import db
from app.models import Channel, ChannelKind, ChannelMember, Message, MessageKind, User
from app.prepared import execute_prepared, prepared_statements_on, self_contained
from app.services.accounts import check_session
from app.services.chat.errors import SlowMode
from app.services.chat.numbering import (
    Numbered,
    number_line,
    numbering_statement,
    numbering_values,
)


def begin_post() -> None:
    """Make the request's transaction the post's write transaction.

    On PostgreSQL the read transaction that loaded the signed-in user simply goes on
    (read committed: every statement sees the latest commits, and the UPDATE takes the row
    lock), so a post is one transaction. SQLite must end the read snapshot and take the
    write lock first (BEGIN IMMEDIATE), or a stale snapshot could meet another writer.
    """
    if is_sqlite():
        begin_write()


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
    """PostgreSQL: the session check, the numbering UPDATE and the line's INSERT as one
    self-contained statement, which also loads the poster.

    The INSERT reads the number from the UPDATE's RETURNING (a data-modifying WITH), so a
    post is one round trip, and it needs no transaction around it: the UPDATE takes a number
    only where the INSERT will store the line. It takes none where slow mode holds the
    poster (that check must see lines committed while the UPDATE waited for the channel's
    lock: see the module's docstring), nor where `token` is no longer the poster's session
    token, and a client id stored already fails the whole statement on the unique (sender,
    client id), so no number is ever left without a line.

    The row leads with the poster's columns: `_poster` makes them the request's signed-in
    user, which app/sessions.py finds in the session's identity map instead of reading it
    again.
    Addressed by channel (a conversation, or a room's first lines), it also moves the
    sender's read mark in a conversation, and returns the present members' ids, in the
    same statement.
    """
    numbered = numbering_statement(by_room, conversations_only, unslowed=True, signed_in=True).cte(
        "numbered"
    )
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
    users = User.__table__
    statement = select(
        *users.c,
        numbered.c.id.label("numbered_channel"),
        numbered.c.last_seq.label("numbered_seq"),
        numbered.c.kind.label("numbered_kind"),
        stored.c.id.label("message_id"),
    ).select_from(numbered.join(stored, true()).join(users, users.c.id == values["sender_id"]))
    if by_room:
        return self_contained(statement)
    members = ChannelMember.__table__
    # The present members, for the one `inbox` emit (chat.unread): read here, the post
    # needs no SELECT of its own for them.
    present = (
        select(func.array_agg(members.c.user_id))
        .where(members.c.channel_id == numbered.c.id, members.c.left_at.is_(None))
        .scalar_subquery()
    )
    statement = statement.add_columns(present.label("member_ids"))
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
    sender: User | None = None,
) -> Message:
    """Insert the numbered line; in a conversation the sender has now read up to it.

    Under slow mode the INSERT carries the window check and raises SlowMode. `sender` is
    the user `sender_id` names, when the caller has loaded them.
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
    return _stored(numbered, new_id, values, sender=sender)


def _stored(
    numbered: Numbered,
    new_id: int,
    values: dict,
    *,
    mark_read: bool = True,
    sender: User | None = None,
) -> Message:
    """The written line as the session's object (no SELECT), and the sender's read mark.

    With `sender` loaded, the line holds them as its loaded sender: rendering it reads no
    more, and the request's signed-in user is still in the session's identity map (which
    holds unchanged objects only while something else refers to them).
    """
    message = as_loaded(Message, {"id": new_id, "deleted_at": None, **values})
    if sender is not None:
        set_committed_value(message, "sender", sender)
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
    # A conversation's present members, when the statement that stored the line read them.
    member_ids: tuple[int, ...] | None = None


SLOW = "slow"
DUPLICATE = "duplicate"


def number_and_store(
    user_id: int,
    token: str,
    body: str,
    client_id: str,
    now: datetime,
    *,
    channel_id: int | None = None,
    room_id: int | None = None,
    conversations_only: bool = False,
) -> Stored | None:
    """Number and store a user's line if `token` is their current session token and they
    hold a seat and may chat; else None, or SessionEnded for a stale token.

    Targets as for `number_line`. With prepared statements (PostgreSQL) a post is one
    self-contained statement, which checks the token and loads the user too; what it
    refuses, and every post elsewhere, loads the user, checks the token and then numbers
    and stores in two statements in the caller's transaction, which tell the refusals
    apart. (The one statement runs only prepared: SQLAlchemy cannot run it as it is,
    because its UPDATE is read twice in one query and loses its literals' values on the
    way.)
    """
    if prepared_statements_on():
        stored = _number_and_store_at_once(
            user_id, token, body, client_id, now, channel_id, room_id, conversations_only
        )
        if stored is not None:
            return stored
    sender = check_session(user_id, token)
    numbered = number_line(
        user_id,
        channel_id=channel_id,
        room_id=room_id,
        conversations_only=conversations_only,
        now=now,
    )
    if numbered is None:
        return None
    return _store_after(numbered, sender, body, client_id, now)


def _number_and_store_at_once(
    user_id: int,
    token: str,
    body: str,
    client_id: str,
    now: datetime,
    channel_id: int | None,
    room_id: int | None,
    conversations_only: bool,
) -> Stored | None:
    """Run the one statement; None when it wrote nothing (slow mode, a retry, no seat, a
    stale session token)."""
    by_room = channel_id is None
    values = _line_values(user_id, body, client_id, MessageKind.USER, now)
    try:
        row = execute_prepared(
            _number_and_insert_statement(by_room, conversations_only),
            values | numbering_values(user_id, channel_id, room_id, now) | {"token": token},
        ).first()
    except IntegrityError:
        # The client id is stored already. The failed statement left nothing behind (had a
        # transaction been open, it would be unusable now: the rollback ends it), and the
        # two statements find out whether it is a retry of this line.
        db.session.rollback()
        return None
    if row is None:
        return None
    width = len(_user_keys())
    poster = _poster(row[:width])
    channel, seq, kind, message_id, *rest = row[width:]
    numbered = Numbered(channel, seq, kind)
    line = values | {"channel_id": numbered.channel_id, "seq": numbered.seq}
    # The statement moved the read mark already (addressed by channel: see above), and
    # read a conversation's members (a room, addressed either way, has none to tell).
    members = tuple(rest[0] or ()) if numbered.kind != ChannelKind.ROOM else None
    message = _stored(numbered, message_id, line, mark_read=by_room, sender=poster)
    return Stored(numbered, message, member_ids=members)


@cache
def _user_keys() -> tuple[str, ...]:
    """The user's attribute names in the order of their table's columns: the order the post's
    statement returns them in."""
    mapper = sa_inspect(User)
    return tuple(mapper.get_property_by_column(column).key for column in User.__table__.c)


def _poster(values: Sequence) -> User:
    """The poster as the session's user, from the statement's leading columns (no SELECT).

    A browser signed in by its remember cookie has its user in the session already; that
    one is kept.
    """
    return as_loaded(User, dict(zip(_user_keys(), values, strict=True)))


def _store_after(
    numbered: Numbered, sender: User, body: str, client_id: str, now: datetime
) -> Stored:
    """Store the line under a number already taken, as its own INSERT."""
    try:
        line = store_line(numbered, sender.id, body, client_id=client_id, now=now, sender=sender)
        return Stored(numbered, line)
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
