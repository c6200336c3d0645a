"""The persist step of a post: one write transaction that checks the seat, numbers the
line and stores it.

The seat check, the channel lookup and the sequence number are one statement: an
`UPDATE channels … WHERE <the poster holds a seat> RETURNING …` that also locks the channel
row, so concurrent posts get 1, 2, 3, … and a rolled-back post leaves no gap.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import update

from app.database import begin_write, is_sqlite, utcnow
from app.extensions import db
from app.models import Channel, ChannelKind, ChannelMember, Message, MessageKind
from app.services.chat.access import conversation_seat
from app.services.room_chat_access import room_chat_clause


@dataclass(frozen=True)
class Numbered:
    """What the numbering statement hands back about the channel it wrote to."""

    channel_id: int
    seq: int
    kind: ChannelKind


def begin_post() -> None:
    """Make the request's transaction the post's write transaction.

    On PostgreSQL the read transaction that loaded the signed-in user simply goes on
    (read committed: every statement sees the latest commits, and the UPDATE takes the row
    lock), so a post is one transaction. SQLite must end the read snapshot and take the
    write lock first (BEGIN IMMEDIATE), or a stale snapshot could meet another writer.
    """
    if is_sqlite():
        begin_write()


def _seat_clause(user_id: int):
    """WHERE clause: `user_id` may write to the channel row being updated."""
    return ((Channel.kind == ChannelKind.ROOM) & room_chat_clause(user_id, Channel.room_id)) | (
        (Channel.kind != ChannelKind.ROOM) & conversation_seat(user_id, Channel.id)
    )


def number_line(
    user_id: int,
    *,
    channel_id: int | None = None,
    room_id: int | None = None,
    conversations_only: bool = False,
) -> Numbered | None:
    """Take the channel's next number if `user_id` holds a seat; None when they do not.

    Pass `channel_id`, or `room_id` for a room's channel (None too when it has none yet);
    `conversations_only` refuses a room's channel.
    """
    target = Channel.id == channel_id if channel_id is not None else Channel.room_id == room_id
    if conversations_only:
        target = target & (Channel.kind != ChannelKind.ROOM)
    row = db.session.execute(
        update(Channel)
        .where(target, _seat_clause(user_id))
        .values(last_seq=Channel.last_seq + 1, last_message_at=utcnow())
        .returning(Channel.id, Channel.last_seq, Channel.kind)
        .execution_options(synchronize_session=False)
    ).first()
    return Numbered(row[0], row[1], row[2]) if row is not None else None


def store_line(
    numbered: Numbered,
    sender_id: int | None,
    body: str,
    *,
    client_id: str | None = None,
    kind: MessageKind = MessageKind.USER,
) -> Message:
    """Insert the numbered line; in a conversation the sender has now read up to it."""
    message = Message(
        channel_id=numbered.channel_id,
        sender_id=sender_id,
        kind=kind,
        seq=numbered.seq,
        body=body,
        client_id=client_id,
        created_at=utcnow(),
    )
    db.session.add(message)
    db.session.flush()
    if sender_id is not None and numbered.kind != ChannelKind.ROOM:
        # Whoever writes a line has read everything up to it (room chats keep no marks).
        db.session.execute(
            update(ChannelMember)
            .where(
                ChannelMember.channel_id == numbered.channel_id,
                ChannelMember.user_id == sender_id,
            )
            .values(last_read_seq=numbered.seq)
            .execution_options(synchronize_session=False)
        )
    return message


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
