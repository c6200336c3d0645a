"""Who may use a show room's chat (show rule 10): its members, and anyone logged in
watching it, unless the host made the chat members-only.

A small module of its own so the chat service only asks one question here.
"""

from __future__ import annotations

from functools import cache

from flask_babel import lazy_gettext as _l
from sqlalchemy import Integer, bindparam, select

from app.extensions import db
from app.models import Channel, Room, RoomMember, RoomStatus
from app.realtime import socket_actions
from app.services.rooms import NotHost
from app.services.stage import commit_stage, lock_room

# Every room page asks both questions, so their statements are built once.
_ROOM_ID = bindparam("room_id", type_=Integer)


def _seat_held(user_id, room_id):
    """SQL condition on RoomMember: `user_id` holds a seat in `room_id` (values or columns)."""
    return (
        (RoomMember.room_id == room_id)
        & (RoomMember.user_id == user_id)
        & RoomMember.left_at.is_(None)
    )


@cache
def _seated_statement():
    return select(RoomMember.id).where(_seat_held(bindparam("user_id", type_=Integer), _ROOM_ID))


@cache
def _chat_rule_statement():
    return select(Room.status, Room.chat_members_only).where(Room.id == _ROOM_ID)


def _is_seated(user_id: int, room_id: int) -> bool:
    """Tell whether `user_id` holds a seat in the room now."""
    found = db.session.scalar(_seated_statement(), {"room_id": room_id, "user_id": user_id})
    return found is not None


def room_chat_clause(user_id: int, room_id_column):
    """SQL condition: `user_id` may use the chat of the room in `room_id_column`.

    The same rule as `may_use_room_chat`, for statements that check it in the database
    (the chat post's single UPDATE, the channel read check).
    """
    seated = select(RoomMember.id).where(_seat_held(user_id, room_id_column)).exists()
    watching = (
        select(Room.id)
        .where(
            Room.id == room_id_column,
            Room.status != RoomStatus.CANCELLED,
            Room.chat_members_only.is_(False),
        )
        .exists()
    )
    return seated | watching


def may_use_room_chat(user_id: int, room_id: int) -> bool:
    """Tell whether `user_id` may read and post in the room's chat."""
    if _is_seated(user_id, room_id):
        return True
    row = db.session.execute(_chat_rule_statement(), {"room_id": room_id}).one_or_none()
    return row is not None and _open_to_watchers(row.status, row.chat_members_only)


def may_use_chat_of(room: Room, seated: bool) -> bool:
    """`may_use_room_chat`, for a page that has read the room and the viewer's seat already.

    The room page's stage reads both; asking again cost it one statement, two for a spectator.
    """
    return seated or _open_to_watchers(room.status, room.chat_members_only)


def _open_to_watchers(status: RoomStatus, members_only: bool) -> bool:
    """Whether someone without a seat may use the chat: not a cancelled or members-only one."""
    return status != RoomStatus.CANCELLED and not members_only


def _seated_ids(room_id: int) -> list[int]:
    """Return the users who hold a seat in the room now."""
    return list(
        db.session.scalars(
            select(RoomMember.user_id).where(
                RoomMember.room_id == room_id, RoomMember.left_at.is_(None)
            )
        )
    )


def set_members_only(room_id: int, actor_id: int, members_only: bool) -> Room:
    """The host opens the room chat to spectators, or keeps it for members.

    Closing it takes every spectator's socket, on every web process, out of the chat as the
    change commits, so nobody hears a line they may no longer read. Reopening needs no
    action: spectators hear the chat again from their next subscribe (a page load or a
    reconnect), which now passes the check.
    """
    room = lock_room(room_id)
    if room.host_id != actor_id or not _is_seated(actor_id, room_id):
        raise NotHost(_l("Only the host can change who may chat."))
    room.chat_members_only = members_only
    channel_id = db.session.scalar(select(Channel.id).where(Channel.room_id == room_id))
    if members_only and channel_id is not None:
        # The members are read under the room lock, so nobody joins between read and commit.
        socket_actions.queue(
            socket_actions.leave_room_except(f"channel:{channel_id}", _seated_ids(room_id))
        )
    return commit_stage(room)
