"""Chat: channels for rooms and conversations, posting, reading and unread counts.

A line goes through small named steps, each of which may refuse it:
clean → validate length → idempotency → overload gate → flood check → persist (with the
channel's next sequence number) → publish (after commit).
"""

from __future__ import annotations

import hashlib
import logging
import math
import re
import secrets
import threading
import time
import unicodedata
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import redis
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from app.database import begin_write, utcnow
from app.extensions import db
from app.models import Channel, ChannelKind, ChannelMember, Message, MessageKind, RoomMember, User
from app.realtime.broadcast import broadcast
from app.realtime.events import CHAT_MESSAGE, INBOX
from app.redis_store import redis_client, redis_key
from app.services.errors import Conflict, Forbidden, InvalidInput, NotFound, TooMany
from app.services.room_chat_access import may_use_room_chat

log = logging.getLogger(__name__)

MAX_BODY = 500
PAGE_SIZE = 50
AFTER_LIMIT = 200
MAX_TITLE = 80
MAX_GROUP_MEMBERS = 50
FLOOD_LINES = 5
FLOOD_SECONDS = 10
REPEAT_SECONDS = 30
# Shed new posts for this long after the Socket.IO publisher reported a lost publish.
PUBLISH_TROUBLE_SECONDS = 5
CLIENT_ID_RE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
# Bidirectional overrides can make an escaped line read backwards; nobody needs them in chat.
_BIDI_CONTROLS = {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))}

SYSTEM_CREATED = "created"
SYSTEM_LEFT = "left"
SYSTEM_RENAMED = "renamed"


class EmptyMessage(InvalidInput):
    """Nothing is left of the line once it is trimmed."""

    default_message = _l("Write something first.")


class MessageTooLong(InvalidInput):
    """The line is longer than a chat line may be."""

    default_message = _l("Messages can be at most 500 characters.")


class BadClientId(InvalidInput):
    """The client-generated message id is not a plausible id."""

    default_message = _l("That message could not be sent. Reload the page and try again.")


class ClientIdReused(Conflict):
    """The client id was already used for a line in another channel."""

    default_message = _l("That message was already sent somewhere else.")


class Flooding(TooMany):
    """More lines than the flood limit allows in the window."""

    default_message = _l("You are sending messages too fast. Wait a few seconds.")


class RepeatedLine(TooMany):
    """The same line again within the repeat window."""

    default_message = _l("You just said that. Say something new, or wait a moment.")


class ChatBusy(TooMany):
    """The server is saturated and sheds new posts instead of losing them."""

    default_message = _l("Chat is very busy right now. Your message was not sent; try again.")


class ChannelNotFound(NotFound):
    """No such conversation, or the actor is not in it."""

    default_message = _l("We could not find that conversation.")


class NotAGroup(Forbidden):
    """Only group conversations have titles to change."""

    default_message = _l("Only group conversations can be renamed.")


@dataclass(frozen=True)
class PostResult:
    """The stored line, and whether this request stored it (False for a retried post)."""

    message: Message
    created: bool


@dataclass(frozen=True)
class ConversationRow:
    """One line of the conversation list."""

    channel: Channel
    title: str
    last_message: Message | None
    unread: int
    other: User | None


# Access ---------------------------------------------------------------------------------


def is_room_member(user_id: int, room_id: int) -> bool:
    """Tell whether `user_id` holds a seat in the room (members keep it once the show starts)."""
    return (
        db.session.scalar(
            select(RoomMember.id).where(
                RoomMember.room_id == room_id,
                RoomMember.user_id == user_id,
                RoomMember.left_at.is_(None),
            )
        )
        is not None
    )


def _is_conversation_member(user_id: int, channel_id: int) -> bool:
    """Tell whether `user_id` is a current member of a conversation channel."""
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


def can_read(user_id: int, channel_id: int) -> bool:
    """Tell whether `user_id` may read the channel: a present room member or conversation member."""
    channel = db.session.get(Channel, channel_id)
    if channel is None:
        return False
    if channel.kind == ChannelKind.ROOM:
        return channel.room_id is not None and may_use_room_chat(user_id, channel.room_id)
    return _is_conversation_member(user_id, channel_id)


def readable_channel(user_id: int, channel_id: int) -> Channel:
    """Return the channel if `user_id` may read it, else raise ChannelNotFound."""
    if not can_read(user_id, channel_id):
        raise ChannelNotFound()
    return db.session.get(Channel, channel_id)


def conversation(user_id: int, channel_id: int) -> Channel:
    """Return a direct or group conversation `user_id` is in, else raise ChannelNotFound."""
    channel = db.session.get(Channel, channel_id)
    if channel is None or channel.kind == ChannelKind.ROOM:
        raise ChannelNotFound()
    if not _is_conversation_member(user_id, channel_id):
        raise ChannelNotFound()
    return channel


def room_channel_id(room_id: int) -> int:
    """Return the id of the room's channel, creating it on first use.

    It runs on a connection of its own, so a page that merely shows the chat never commits
    the request's transaction; the unique room_id settles a race between two first visitors.
    """
    found = db.session.scalar(select(Channel.id).where(Channel.room_id == room_id))
    if found is not None:
        return found
    with db.engine.connect() as conn:
        try:
            with conn.begin():
                conn.execute(
                    insert(Channel).values(
                        kind=ChannelKind.ROOM,
                        room_id=room_id,
                        title="",
                        last_seq=0,
                        created_at=utcnow(),
                    )
                )
        except IntegrityError:
            pass  # another request created it first
        return conn.execute(select(Channel.id).where(Channel.room_id == room_id)).scalar_one()


def room_channel_for(user_id: int, room_id: int) -> int:
    """Return the room's channel id for someone who may use it, else raise NotFound."""
    if not may_use_room_chat(user_id, room_id):
        raise NotFound(_l("We could not find that room's chat."))
    return room_channel_id(room_id)


# The posting pipeline -------------------------------------------------------------------


def clean_body(body: str | None) -> str:
    """Normalise to NFC, turn line breaks into spaces, drop control characters, trim."""
    text = unicodedata.normalize("NFC", body or "")
    text = text.replace("\r\n", " ").replace("\n", " ").replace("\r", " ").replace("\t", " ")
    text = "".join(
        ch for ch in text if unicodedata.category(ch) != "Cc" and ch not in _BIDI_CONTROLS
    )
    return text.strip()


def validate_length(body: str) -> str:
    """Return `body` if it is 1–500 characters, else raise."""
    if not body:
        raise EmptyMessage(field="body")
    if len(body) > MAX_BODY:
        raise MessageTooLong(
            str(
                _l(
                    "Messages can be at most %(max)d characters (this one has %(n)d).",
                    max=MAX_BODY,
                    n=len(body),
                )
            ),
            field="body",
        )
    return body


def validate_client_id(client_id: str | None) -> str:
    """Return the client id, a fresh one when none was sent, or raise when it is malformed."""
    if not client_id:
        return new_client_id()
    if not CLIENT_ID_RE.fullmatch(client_id):
        raise BadClientId(field="client_id")
    return client_id


def new_client_id() -> str:
    """Return a random client id, for forms that are sent without JavaScript."""
    return secrets.token_urlsafe(18)


def _stored(sender_id: int, client_id: str) -> Message | None:
    """Return the line this sender already stored under `client_id`, if any."""
    return db.session.scalar(
        select(Message).where(Message.sender_id == sender_id, Message.client_id == client_id)
    )


def find_retry(sender_id: int, channel_id: int, client_id: str) -> Message | None:
    """Return the stored line of a retried post, or raise when the id belongs elsewhere."""
    message = _stored(sender_id, client_id)
    if message is not None and message.channel_id != channel_id:
        raise ClientIdReused()
    return message


class PostGate:
    """Counts the posts a process is handling, and refuses new ones past the limit.

    A post holds its slot through commit and publish, so a slow Redis publisher (a pool
    waiting for a free connection) shows up here as posts piling up, not as lost messages.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.in_flight = 0
        self.shed = 0
        self._lock = threading.Lock()

    @contextmanager
    def admit(self) -> Iterator[None]:
        """Hold a slot for one post, or raise ChatBusy when every slot is taken."""
        with self._lock:
            if self.in_flight >= self.limit or publish_in_trouble():
                self.shed += 1
                raise ChatBusy(retry_after=2)
            self.in_flight += 1
        try:
            yield
        finally:
            with self._lock:
                self.in_flight -= 1


def post_gate() -> PostGate:
    """Return this process's gate for the current app."""
    gate = current_app.extensions.get("chat_post_gate")
    if gate is None:
        limit = int(current_app.config.get("CHAT_MAX_INFLIGHT_POSTS", 64))
        gate = current_app.extensions.setdefault("chat_post_gate", PostGate(limit))
    return gate


class _PublishWatch(logging.Handler):
    """Notes when python-socketio's Redis publisher gives up on a publish."""

    last_failure = 0.0

    def emit(self, record: logging.LogRecord) -> None:
        """Remember the time of a publish the Redis publisher could not make."""
        if str(record.msg).startswith("Cannot publish to redis"):
            _PublishWatch.last_failure = time.monotonic()


def watch_publisher() -> None:
    """Listen to python-socketio's log for lost publishes (once per process)."""
    logger = logging.getLogger("socketio")
    if not any(isinstance(h, _PublishWatch) for h in logger.handlers):
        logger.addHandler(_PublishWatch(level=logging.ERROR))


def publish_in_trouble() -> bool:
    """Tell whether the Redis publisher lost a publish in the last few seconds."""
    last = _PublishWatch.last_failure
    return bool(last) and time.monotonic() - last < PUBLISH_TROUBLE_SECONDS


class LocalFlood:
    """Flood windows for the embedded mode, where one process sees every post."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._lines: dict[tuple[int, int], deque[tuple[float, str]]] = {}
        self._repeats: dict[tuple[int, int, str], tuple[float, str]] = {}

    def hit(self, user_id: int, channel_id: int, digest: str, client_id: str, now: float) -> None:
        """Record one line, or raise when it breaks a flood rule (a retry is not a new line)."""
        with self._lock:
            lines = self._lines.setdefault((user_id, channel_id), deque())
            while lines and lines[0][0] <= now - FLOOD_SECONDS:
                lines.popleft()
            if any(cid == client_id for _, cid in lines):
                return
            if len(lines) >= FLOOD_LINES:
                raise Flooding(retry_after=max(1, math.ceil(lines[0][0] + FLOOD_SECONDS - now)))
            repeat_key = (user_id, channel_id, digest)
            until, owner = self._repeats.get(repeat_key, (0.0, ""))
            if until > now and owner != client_id:
                raise RepeatedLine(retry_after=max(1, math.ceil(until - now)))
            if len(self._repeats) > 10_000:
                self._repeats = {k: v for k, v in self._repeats.items() if v[0] > now}
            self._repeats[repeat_key] = (now + REPEAT_SECONDS, client_id)
            lines.append((now, client_id))


def _local_flood() -> LocalFlood:
    """Return the app's in-process flood windows."""
    return current_app.extensions.setdefault("chat_local_flood", LocalFlood())


def _redis_flood(
    client: redis.Redis, user_id: int, channel_id: int, digest: str, client_id: str
) -> None:
    """Record one line in Redis (shared by every process), or raise on a flood rule.

    Lines are counted by client id, so a retried post (same id) is never a new line.
    """
    now = time.time()
    lines_key = redis_key("chat", "flood", channel_id, user_id)
    pipe = client.pipeline()
    pipe.zremrangebyscore(lines_key, 0, now - FLOOD_SECONDS)
    pipe.zscore(lines_key, client_id)
    pipe.zrange(lines_key, 0, 0, withscores=True)
    pipe.zcard(lines_key)
    _, seen, oldest, count = pipe.execute()
    if seen is not None:
        return
    if count >= FLOOD_LINES:
        first = oldest[0][1] if oldest else now
        raise Flooding(retry_after=max(1, math.ceil(first + FLOOD_SECONDS - now)))
    repeat_key = redis_key("chat", "repeat", channel_id, user_id, digest)
    claimed = client.set(repeat_key, client_id, nx=True, ex=REPEAT_SECONDS)
    if not claimed and client.get(repeat_key) != client_id:
        raise RepeatedLine(retry_after=max(1, int(client.ttl(repeat_key) or 1)))
    pipe = client.pipeline()
    pipe.zadd(lines_key, {client_id: now})
    pipe.expire(lines_key, FLOOD_SECONDS + 1)
    pipe.execute()


def check_flood(user_id: int, channel_id: int, body: str, client_id: str) -> None:
    """Refuse a line past 5 per 10 s per channel, or the same line twice within 30 s."""
    digest = hashlib.sha256(body.casefold().encode()).hexdigest()[:20]
    client = redis_client()
    if client is not None:
        try:
            _redis_flood(client, user_id, channel_id, digest, client_id)
            return
        except redis.RedisError:
            log.warning("flood check fell back to this process: Redis is unavailable")
    _local_flood().hit(user_id, channel_id, digest, client_id, time.monotonic())


def persist(
    channel_id: int,
    sender_id: int | None,
    body: str,
    *,
    client_id: str | None = None,
    kind: MessageKind = MessageKind.USER,
) -> Message:
    """Store a line under the channel's next sequence number (inside the caller's transaction).

    The single UPDATE … RETURNING both locks the channel row and hands out the number, so
    concurrent posts get 1, 2, 3, … and a rolled-back post leaves no gap.
    """
    now = utcnow()
    seq = db.session.execute(
        update(Channel)
        .where(Channel.id == channel_id)
        .values(last_seq=Channel.last_seq + 1, last_message_at=now)
        .returning(Channel.last_seq)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    message = Message(
        channel_id=channel_id,
        sender_id=sender_id,
        kind=kind,
        seq=seq,
        body=body,
        client_id=client_id,
        created_at=now,
    )
    db.session.add(message)
    db.session.flush()
    if sender_id is not None:
        # Whoever writes a line has read everything up to it.
        db.session.execute(
            update(ChannelMember)
            .where(ChannelMember.channel_id == channel_id, ChannelMember.user_id == sender_id)
            .values(last_read_seq=seq)
            .execution_options(synchronize_session=False)
        )
    return message


def render_line(message: Message) -> str:
    """Render one line with the template the chat area registered (the same for everyone)."""
    renderer: Callable[[Message], str] = current_app.extensions["chat_render_line"]
    return renderer(message)


def publish(message: Message) -> None:
    """Queue the line for its channel and the unread counts for its members (sent on commit)."""
    broadcast(
        CHAT_MESSAGE,
        {
            "channel_id": message.channel_id,
            "id": message.id,
            "seq": message.seq,
            "html": render_line(message),
        },
        f"channel:{message.channel_id}",
    )
    channel = db.session.get(Channel, message.channel_id)
    if channel.kind != ChannelKind.ROOM:
        for member_id, unread, total in inbox_counts(channel.id):
            broadcast(
                INBOX,
                {"channel_id": channel.id, "unread": unread, "total_unread": total},
                f"user:{member_id}",
            )


def post_message(
    user_id: int, channel_id: int, body: str | None, client_id: str | None
) -> PostResult:
    """Post a line to a channel `user_id` may read; a retried client id returns the stored line."""
    text = validate_length(clean_body(body))
    client_id = validate_client_id(client_id)
    if not can_read(user_id, channel_id):
        raise ChannelNotFound()
    return _post(user_id, channel_id, text, client_id)


def _post(user_id: int, channel_id: int, text: str, client_id: str) -> PostResult:
    """Run a clean, valid line from a reader through idempotency, gate, flood, persist, publish."""
    retried = find_retry(user_id, channel_id, client_id)
    if retried is not None:
        return PostResult(retried, created=False)
    with post_gate().admit():
        check_flood(user_id, channel_id, text, client_id)
        begin_write()
        try:
            message = persist(channel_id, user_id, text, client_id=client_id)
        except IntegrityError:
            # The same post arrived twice at once; the other request stored it.
            db.session.rollback()
            retried = find_retry(user_id, channel_id, client_id)
            if retried is None:
                raise
            return PostResult(retried, created=False)
        publish(message)
        db.session.commit()
    return PostResult(message, created=True)


def post_room_message(
    user_id: int, room_id: int, body: str | None, client_id: str | None
) -> PostResult:
    """Post a line to a room's chat; only present members of the room may."""
    text = validate_length(clean_body(body))
    client_id = validate_client_id(client_id)
    # The membership check is the access rule here; the channel may be brand new.
    channel_id = room_channel_for(user_id, room_id)
    return _post(user_id, channel_id, text, client_id)


# History --------------------------------------------------------------------------------


def _lines() -> select:
    """Select messages with their senders loaded."""
    from sqlalchemy.orm import selectinload

    return select(Message).options(selectinload(Message.sender))


def latest(channel_id: int, limit: int = PAGE_SIZE) -> list[Message]:
    """Return the newest `limit` lines, oldest first."""
    rows = db.session.scalars(
        _lines().where(Message.channel_id == channel_id).order_by(Message.seq.desc()).limit(limit)
    ).all()
    return list(reversed(rows))


def after(channel_id: int, seq: int, limit: int = AFTER_LIMIT) -> list[Message]:
    """Return up to `limit` lines numbered after `seq`, oldest first (for catching up)."""
    return list(
        db.session.scalars(
            _lines()
            .where(Message.channel_id == channel_id, Message.seq > seq)
            .order_by(Message.seq)
            .limit(limit)
        ).all()
    )


def before(channel_id: int, seq: int, limit: int = PAGE_SIZE) -> list[Message]:
    """Return up to `limit` lines numbered before `seq`, oldest first (for scrolling back)."""
    rows = db.session.scalars(
        _lines()
        .where(Message.channel_id == channel_id, Message.seq < seq)
        .order_by(Message.seq.desc())
        .limit(limit)
    ).all()
    return list(reversed(rows))


# Conversations --------------------------------------------------------------------------


def _present_member_ids(channel_id: int) -> list[int]:
    """Return the ids of a conversation's current members."""
    return list(
        db.session.scalars(
            select(ChannelMember.user_id)
            .where(ChannelMember.channel_id == channel_id, ChannelMember.left_at.is_(None))
            .order_by(ChannelMember.user_id)
        ).all()
    )


def _membership(user_id: int, channel_id: int) -> ChannelMember | None:
    """Return the membership row of `user_id` in the channel, present or not."""
    return db.session.scalar(
        select(ChannelMember).where(
            ChannelMember.channel_id == channel_id, ChannelMember.user_id == user_id
        )
    )


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


def unread_total(user_id: int) -> int:
    """Return how many lines `user_id` has not read across their conversations."""
    value = db.session.scalar(
        select(func.coalesce(func.sum(Channel.last_seq - ChannelMember.last_read_seq), 0))
        .join(ChannelMember, ChannelMember.channel_id == Channel.id)
        .where(
            ChannelMember.user_id == user_id,
            ChannelMember.left_at.is_(None),
            Channel.kind != ChannelKind.ROOM,
        )
    )
    return max(0, int(value or 0))


def inbox_counts(channel_id: int) -> list[tuple[int, int, int]]:
    """Return (member id, unread here, unread everywhere) for every present member, at once.

    One grouped query instead of two per member: a post to a group of ten used to spend
    nearly half its time counting unread lines member by member.
    """
    members = select(ChannelMember.user_id).where(
        ChannelMember.channel_id == channel_id, ChannelMember.left_at.is_(None)
    )
    unread = func.greatest if db.engine.dialect.name == "postgresql" else func.max
    behind = unread(Channel.last_seq - ChannelMember.last_read_seq, 0)
    rows = db.session.execute(
        select(
            ChannelMember.user_id,
            func.sum(case((ChannelMember.channel_id == channel_id, behind), else_=0)),
            func.sum(behind),
        )
        .join(Channel, Channel.id == ChannelMember.channel_id)
        .where(
            ChannelMember.user_id.in_(members),
            ChannelMember.left_at.is_(None),
            Channel.kind != ChannelKind.ROOM,
        )
        .group_by(ChannelMember.user_id)
        .order_by(ChannelMember.user_id)
    ).all()
    return [(int(uid), int(here or 0), int(total or 0)) for uid, here, total in rows]


def _queue_inbox(user_id: int, channel_id: int) -> None:
    """Queue the `inbox` event that tells `user_id` their new unread counts."""
    broadcast(
        INBOX,
        {
            "channel_id": channel_id,
            "unread": unread_in(user_id, channel_id),
            "total_unread": unread_total(user_id),
        },
        f"user:{user_id}",
    )


def _user(user_id: int) -> User:
    """Return a user, or raise NotFound."""
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(_l("We could not find that person."))
    return user


def _system_line(channel_id: int, actor_id: int, body: str) -> None:
    """Write and publish a system line (created, left, renamed) in the current transaction."""
    message = persist(channel_id, actor_id, body, kind=MessageKind.SYSTEM)
    publish(message)


def start_direct(user_id: int, other_user_id: int) -> Channel:
    """Return the one direct conversation between two people, creating it on first use."""
    if user_id == other_user_id:
        raise InvalidInput(_l("You cannot start a conversation with yourself."))
    _user(other_user_id)
    low, high = sorted((user_id, other_user_id))
    key = f"{low}:{high}"
    begin_write()
    channel = db.session.scalar(select(Channel).where(Channel.direct_key == key))
    if channel is None:
        try:
            with db.session.begin_nested():
                channel = Channel(kind=ChannelKind.DIRECT, direct_key=key, created_by_id=user_id)
                db.session.add(channel)
                db.session.flush()
                for uid in (low, high):
                    db.session.add(ChannelMember(channel_id=channel.id, user_id=uid))
                db.session.flush()
        except IntegrityError:
            channel = db.session.scalar(select(Channel).where(Channel.direct_key == key))
    else:
        # Starting it again brings it back for anyone who had left it.
        for uid in (low, high):
            member = _membership(uid, channel.id)
            if member is None:
                db.session.add(ChannelMember(channel_id=channel.id, user_id=uid))
            elif member.left_at is not None:
                member.left_at = None
                member.last_read_seq = channel.last_seq
    db.session.commit()
    return channel


def clean_title(title: str | None) -> str:
    """Return a group title of 1–80 characters, or raise."""
    text = " ".join(clean_body(title).split())
    if not text:
        raise InvalidInput(_l("Give the group a title."), field="title")
    if len(text) > MAX_TITLE:
        raise InvalidInput(
            _l("Titles can be at most %(max)d characters.", max=MAX_TITLE), field="title"
        )
    return text


def users_by_username(usernames: list[str]) -> list[User]:
    """Return the users named (case does not matter), or raise naming the unknown ones."""
    keys = list(dict.fromkeys(u.strip().lstrip("@").lower() for u in usernames if u.strip()))
    users = db.session.scalars(select(User).where(User.username_key.in_(keys))).all()
    found = {u.username_key for u in users}
    missing = [k for k in keys if k not in found]
    if missing:
        raise InvalidInput(
            _l("We could not find: %(names)s.", names=", ".join(missing)), field="members"
        )
    return sorted(users, key=lambda u: keys.index(u.username_key))


def start_group(user_id: int, title: str | None, member_ids: list[int]) -> Channel:
    """Start a group conversation with a title, the creator and the chosen members."""
    text = clean_title(title)
    others = list(dict.fromkeys(m for m in member_ids if m != user_id))
    if not others:
        raise InvalidInput(_l("Choose at least one person to talk to."), field="members")
    if len(others) + 1 > MAX_GROUP_MEMBERS:
        raise InvalidInput(
            _l("Groups can have at most %(max)d people.", max=MAX_GROUP_MEMBERS), field="members"
        )
    for uid in others:
        _user(uid)
    begin_write()
    channel = Channel(kind=ChannelKind.GROUP, title=text, created_by_id=user_id)
    db.session.add(channel)
    db.session.flush()
    for uid in (user_id, *others):
        db.session.add(ChannelMember(channel_id=channel.id, user_id=uid))
    db.session.flush()
    _system_line(channel.id, user_id, SYSTEM_CREATED)
    db.session.commit()
    return channel


def rename(user_id: int, channel_id: int, title: str | None) -> Channel:
    """Give a group conversation a new title; every member sees a system line."""
    channel = conversation(user_id, channel_id)
    if channel.kind != ChannelKind.GROUP:
        raise NotAGroup()
    text = clean_title(title)
    if text == channel.title:
        return channel
    begin_write()
    channel = db.session.get(Channel, channel_id)
    channel.title = text
    _system_line(channel.id, user_id, f"{SYSTEM_RENAMED}\t{text}")
    db.session.commit()
    return channel


def leave(user_id: int, channel_id: int) -> None:
    """Leave a conversation; the others see a system line."""
    conversation(user_id, channel_id)
    begin_write()
    member = _membership(user_id, channel_id)
    if member is None or member.left_at is not None:
        raise ChannelNotFound()
    _system_line(channel_id, user_id, SYSTEM_LEFT)
    member.left_at = utcnow()
    db.session.flush()
    _queue_inbox_gone(user_id, channel_id)
    db.session.commit()


def _queue_inbox_gone(user_id: int, channel_id: int) -> None:
    """Tell the leaver's other pages their unread total without the left conversation."""
    broadcast(
        INBOX,
        {"channel_id": channel_id, "unread": 0, "total_unread": unread_total(user_id)},
        f"user:{user_id}",
    )


def mark_read(user_id: int, channel_id: int, seq: int | None = None) -> int:
    """Record that `user_id` has read the conversation up to `seq` (default: all); return unread.

    The mark only moves forward, so an old page cannot make read lines unread again.
    """
    channel = conversation(user_id, channel_id)
    target = channel.last_seq if seq is None else max(0, min(seq, channel.last_seq))
    member = _membership(user_id, channel_id)
    if member.last_read_seq < target:
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
            _queue_inbox(user_id, channel_id)
        db.session.commit()
    return unread_in(user_id, channel_id)


def conversation_title(channel: Channel, viewer_id: int) -> str:
    """Return what the viewer calls a conversation: the group title or the other person."""
    if channel.kind == ChannelKind.GROUP:
        return channel.title
    other = other_person(channel.id, viewer_id)
    return other.display_name if other else str(_l("Conversation"))


def other_person(channel_id: int, viewer_id: int) -> User | None:
    """Return the other member of a direct conversation."""
    return db.session.scalar(
        select(User)
        .join(ChannelMember, ChannelMember.user_id == User.id)
        .where(ChannelMember.channel_id == channel_id, ChannelMember.user_id != viewer_id)
    )


def members(channel_id: int) -> list[User]:
    """Return a conversation's current members, by display name."""
    return list(
        db.session.scalars(
            select(User)
            .join(ChannelMember, ChannelMember.user_id == User.id)
            .where(ChannelMember.channel_id == channel_id, ChannelMember.left_at.is_(None))
            .order_by(User.display_name)
        ).all()
    )


def conversations(user_id: int) -> list[ConversationRow]:
    """Return the viewer's conversations, the most recently active first."""
    rows = db.session.execute(
        select(Channel, ChannelMember.last_read_seq)
        .join(ChannelMember, ChannelMember.channel_id == Channel.id)
        .where(
            ChannelMember.user_id == user_id,
            ChannelMember.left_at.is_(None),
            Channel.kind != ChannelKind.ROOM,
        )
        .order_by(func.coalesce(Channel.last_message_at, Channel.created_at).desc(), Channel.id)
    ).all()
    result = []
    for channel, last_read in rows:
        last = db.session.scalar(
            _lines().where(Message.channel_id == channel.id).order_by(Message.seq.desc()).limit(1)
        )
        other = other_person(channel.id, user_id) if channel.kind == ChannelKind.DIRECT else None
        title = (
            channel.title
            if channel.kind == ChannelKind.GROUP
            else (other.display_name if other else str(_l("Conversation")))
        )
        result.append(
            ConversationRow(channel, title, last, max(0, channel.last_seq - last_read), other)
        )
    return result
