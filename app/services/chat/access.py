"""Who may read or write a channel: present room members and conversation members."""

from __future__ import annotations

from functools import cache

from sqlalchemy import Integer, bindparam, insert, select
from sqlalchemy.exc import IntegrityError

from app.database import utcnow
from app.extensions import db
from app.models import Channel, ChannelKind, ChannelMember, RoomMember
from app.realtime import socket_actions
from app.services.chat.errors import ChannelNotFound, RoomChatNotFound
from app.services.room_chat_access import may_use_room_chat, room_chat_clause


def room_seat(user_id: int, room_id: int):
    """Select clause: `user_id` holds a seat in `room_id` (members keep it once the show starts)."""
    return (
        select(RoomMember.id)
        .where(
            RoomMember.room_id == room_id,
            RoomMember.user_id == user_id,
            RoomMember.left_at.is_(None),
        )
        .exists()
    )


def conversation_seat(user_id: int, channel_id):
    """Select clause: `user_id` is a current member of the conversation `channel_id`."""
    return (
        select(ChannelMember.id)
        .where(
            ChannelMember.channel_id == channel_id,
            ChannelMember.user_id == user_id,
            ChannelMember.left_at.is_(None),
        )
        .exists()
    )


def is_room_member(user_id: int, room_id: int) -> bool:
    """Tell whether `user_id` holds a seat in the room."""
    return bool(db.session.scalar(select(room_seat(user_id, room_id))))


def can_read(user_id: int, channel_id: int) -> bool:
    """Tell whether `user_id` may read the channel: a room's chat by show rule 10 (members and
    watchers unless members-only), a conversation by its members.

    One statement: the channel's kind picks which membership counts.
    """
    seat = db.session.scalar(
        select(Channel.id).where(
            Channel.id == channel_id,
            ((Channel.kind == ChannelKind.ROOM) & room_chat_clause(user_id, Channel.room_id))
            | ((Channel.kind != ChannelKind.ROOM) & conversation_seat(user_id, Channel.id)),
        )
    )
    return seat is not None


def readable_channel(user_id: int, channel_id: int) -> Channel:
    """Return the channel if `user_id` may read it, else raise ChannelNotFound."""
    if not can_read(user_id, channel_id):
        raise ChannelNotFound()
    return db.session.get(Channel, channel_id)


def conversation(user_id: int, channel_id: int) -> Channel:
    """Return a direct or group conversation `user_id` is in, else raise ChannelNotFound."""
    channel = db.session.scalar(
        select(Channel).where(
            Channel.id == channel_id,
            Channel.kind != ChannelKind.ROOM,
            conversation_seat(user_id, Channel.id),
        )
    )
    if channel is None:
        raise ChannelNotFound()
    return channel


@cache
def _room_channel_statement():
    """Built once: every room page and every room post asks."""
    return select(Channel.id).where(Channel.room_id == bindparam("room_id", type_=Integer))


def room_channel_id(room_id: int) -> int:
    """Return the id of the room's channel, creating it on first use.

    It runs on a connection of its own, so a page that merely shows the chat never commits
    the request's transaction; the unique room_id settles a race between two first visitors.
    """
    found = db.session.scalar(_room_channel_statement(), {"room_id": room_id})
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


def stop_hearing_room(user_id: int, room_id: int) -> None:
    """Take a leaver's sockets, on every web process, out of a room's stage and chat.

    Call it once the leave has committed: subscribing checks the seat, so the sockets
    cannot come back in.
    """
    socket_actions.send(socket_actions.leave_room(user_id, f"room:{room_id}"))
    channel_id = db.session.scalar(select(Channel.id).where(Channel.room_id == room_id))
    if channel_id is not None:
        socket_actions.send(socket_actions.leave_room(user_id, f"channel:{channel_id}"))


def stop_hearing_room_chat(user_id: int, room_id: int) -> None:
    """Take someone's sockets, on every web process, out of a room's chat only (a leaver who
    stays to watch a members-only chat)."""
    channel_id = db.session.scalar(select(Channel.id).where(Channel.room_id == room_id))
    if channel_id is not None:
        socket_actions.send(socket_actions.leave_room(user_id, f"channel:{channel_id}"))


def room_channel_for(user_id: int, room_id: int) -> int:
    """Return the room's channel id for someone who may use it, else raise RoomChatNotFound."""
    if not may_use_room_chat(user_id, room_id):
        raise RoomChatNotFound()
    return room_channel_id(room_id)
