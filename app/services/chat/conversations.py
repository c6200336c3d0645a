"""Conversations: direct and group channels, their members, titles and the list of them."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.database import begin_write, utcnow
from app.extensions import db
from app.models import Channel, ChannelKind, ChannelMember, Message, MessageKind, User
from app.realtime import socket_actions
from app.services import blocks
from app.services.chat.access import conversation
from app.services.chat.clean import clean_title
from app.services.chat.errors import ChannelNotFound, NotAGroup
from app.services.chat.history import lines
from app.services.chat.persist import persist
from app.services.chat.publish import publish
from app.services.chat.unread import queue_inbox
from app.services.errors import InvalidInput, NotFound

MAX_GROUP_MEMBERS = 50
SYSTEM_CREATED = "created"
SYSTEM_LEFT = "left"
SYSTEM_RENAMED = "renamed"


@dataclass(frozen=True)
class ConversationRow:
    """One line of the conversation list."""

    channel: Channel
    title: str
    last_message: Message | None
    unread: int
    other: User | None


def _membership(user_id: int, channel_id: int) -> ChannelMember | None:
    """Return the membership row of `user_id` in the channel, present or not."""
    return db.session.scalar(
        select(ChannelMember).where(
            ChannelMember.channel_id == channel_id, ChannelMember.user_id == user_id
        )
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
    blocks.check_not_blocked(user_id, other_user_id)
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
        blocks.check_not_blocked(user_id, uid)
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
    queue_inbox(user_id, channel_id)
    # The leaver's open sockets, on every process, stop hearing the conversation.
    socket_actions.queue(socket_actions.leave_room(user_id, f"channel:{channel_id}"))
    db.session.commit()


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
            lines().where(Message.channel_id == channel.id).order_by(Message.seq.desc()).limit(1)
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
