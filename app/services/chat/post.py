"""The post pipeline: clean → gate → flood → persist → publish, in one write transaction.

The poster comes as the user id and session token their session names, not as a loaded
user: on PostgreSQL a room post to a present member costs one statement, which checks the
token, loads the user (app/sessions.py then finds them in the session's identity map),
and is an `UPDATE … RETURNING` (seat check, site sanctions, channel, number and the
room's slow mode) whose row the line's INSERT reads in the same statement. A stale token
stores nothing and raises SessionEnded. Under slow mode, and on SQLite, the user is loaded
first and the INSERT is a statement of its own (it holds the slow-mode check). A
conversation post's statement also moves the sender's read mark and returns the present
members for the one `inbox` emit (elsewhere these are statements of their own).
tests/web/test_post_statements.py counts them. The word filter runs in Python before any
of it; a refused post costs what it needs to say why.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from app.database import utcnow
from app.extensions import db
from app.models import Channel, Message
from app.services import sanctions, word_filter
from app.services.accounts import check_session
from app.services.chat.access import can_read, room_channel_id
from app.services.chat.clean import clean_body, validate_client_id, validate_length
from app.services.chat.errors import (
    ChannelNotFound,
    ClientIdReused,
    Flooding,
    RepeatedLine,
    RoomChatNotFound,
    SlowMode,
)
from app.services.chat.flood import check_flood
from app.services.chat.gate import post_gate
from app.services.chat.numbering import Numbered
from app.services.chat.persist import SLOW, Stored, begin_post, number_and_store
from app.services.chat.publish import publish
from app.services.chat.render import render_line
from app.services.room_chat_access import may_use_room_chat


@dataclass(frozen=True)
class PostResult:
    """The stored line as plain values, and whether this request stored it.

    `html` is the line as every socket received it; a retried post renders the stored line.
    """

    id: int
    channel_id: int
    seq: int
    html: str
    created: bool


def find_retry(sender_id: int, channel_id: int, client_id: str) -> Message | None:
    """Return the stored line of a retried post, or raise when the id belongs elsewhere."""
    message = db.session.scalar(
        select(Message).where(Message.sender_id == sender_id, Message.client_id == client_id)
    )
    if message is not None and message.channel_id != channel_id:
        raise ClientIdReused()
    return message


def _retried(user_id: int, channel_id: int, client_id: str) -> PostResult | None:
    """Return the earlier result of a retried post, if `client_id` was stored already."""
    message = find_retry(user_id, channel_id, client_id)
    if message is None:
        return None
    return PostResult(message.id, message.channel_id, message.seq, render_line(message), False)


def _slow_refusal(user_id: int, numbered: Numbered, client_id: str, now: datetime):
    """Return the stored line of a retry, or raise SlowMode with the seconds left."""
    retried = _retried(user_id, numbered.channel_id, client_id)
    if retried is not None:
        return retried
    last = db.session.scalar(
        select(Message.created_at)
        .where(Message.channel_id == numbered.channel_id, Message.sender_id == user_id)
        .order_by(Message.id.desc())
        .limit(1)
    )
    left = numbered.slow_seconds
    if last is not None:
        left = max(1, int(numbered.slow_seconds - (now - last).total_seconds() + 0.999))
    raise SlowMode(numbered.slow_seconds, retry_after=left)


def _finish(user_id: int, stored: Stored, client_id: str, now: datetime) -> PostResult:
    """Queue the publish and commit; a refused line rolls back and says why, or is a retry."""
    if stored.message is None:
        db.session.rollback()  # the number goes back unused
        if stored.refusal == SLOW:
            return _slow_refusal(user_id, stored.numbered, client_id, now)
        # A retry of a stored post (or the same post twice at once).
        retried = _retried(user_id, stored.numbered.channel_id, client_id)
        if retried is None:
            raise ClientIdReused()
        return retried
    html = publish(stored.message, stored.numbered.kind, stored.member_ids)
    result = PostResult(
        stored.message.id, stored.numbered.channel_id, stored.numbered.seq, html, True
    )
    db.session.commit()
    return result


def _flood_or_retry(user_id: int, token: str, scope: str, text: str, client_id: str) -> None:
    """Run the flood step; a retry of a stored line is never refused as flooding.

    It runs before the post's statement checks the session, so a refusal checks it first:
    a stale cookie is told to sign in, not to slow down.
    """
    try:
        check_flood(user_id, token, scope, text, client_id)
    except (Flooding, RepeatedLine):
        check_session(user_id, token)
        if db.session.scalar(
            select(Message.id).where(Message.sender_id == user_id, Message.client_id == client_id)
        ):
            return
        raise


def post_message(
    user_id: int,
    channel_id: int,
    body: str | None,
    client_id: str | None,
    *,
    token: str,
    conversations_only: bool = False,
) -> PostResult:
    """Post a line to a channel `user_id` may write to; a retried client id returns the stored line.

    `token` is the session token the poster's session carries (see the module's
    docstring). `conversations_only` refuses a room's channel (the /chats/ routes answer
    404 for one).
    """
    text = word_filter.clean(validate_length(clean_body(body)))
    client_id = validate_client_id(client_id)
    now = utcnow()
    with post_gate().admit():
        _flood_or_retry(user_id, token, f"c{channel_id}", text, client_id)
        begin_post()
        stored = number_and_store(
            user_id,
            token,
            text,
            client_id,
            now,
            channel_id=channel_id,
            conversations_only=conversations_only,
        )
        if stored is None:
            db.session.rollback()
            # No seat, or a sanction: only someone who may read the channel learns which.
            room_id = db.session.scalar(select(Channel.room_id).where(Channel.id == channel_id))
            if can_read(user_id, channel_id) and not (conversations_only and room_id):
                sanctions.check_can_chat(user_id, channel_id, now)
            raise ChannelNotFound()
        return _finish(user_id, stored, client_id, now)


def post_room_message(
    user_id: int, room_id: int, body: str | None, client_id: str | None, *, token: str
) -> PostResult:
    """Post a line to a room's chat: its members, and watchers unless it is members-only.

    `token` is the session token the poster's session carries (see the module's docstring).
    """
    text = word_filter.clean(validate_length(clean_body(body)))
    client_id = validate_client_id(client_id)
    now = utcnow()
    with post_gate().admit():
        _flood_or_retry(user_id, token, f"r{room_id}", text, client_id)
        begin_post()
        stored = number_and_store(user_id, token, text, client_id, now, room_id=room_id)
        if stored is None:
            # Not a member, timed out, or the room's first line (no channel yet).
            db.session.rollback()
            if not may_use_room_chat(user_id, room_id):
                raise RoomChatNotFound()
            restriction = sanctions.chat_restriction(user_id, room_id, now)
            if restriction is not None:
                raise sanctions.ChatRestricted(restriction, now)
            channel_id = room_channel_id(room_id)
            begin_post()
            stored = number_and_store(user_id, token, text, client_id, now, channel_id=channel_id)
            if stored is None:
                db.session.rollback()
                raise RoomChatNotFound()
        return _finish(user_id, stored, client_id, now)
