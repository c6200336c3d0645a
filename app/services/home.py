"""What the logged-in home shows first: my open rooms and my unread notifications."""

from __future__ import annotations

from functools import cache

from sqlalchemy import Integer, bindparam, select

from app.extensions import db
from app.models import Room, RoomMember, RoomStatus


@cache
def _my_open_rooms_statement(limit: int):
    """The open rooms `:user_id` has a seat in, built once per limit (asked on every visit)."""
    return (
        select(Room)
        .join(RoomMember, RoomMember.room_id == Room.id)
        .where(
            RoomMember.user_id == bindparam("user_id", type_=Integer),
            RoomMember.left_at.is_(None),
            Room.status.in_((RoomStatus.LOBBY, RoomStatus.LIVE)),
        )
        .order_by((Room.status == RoomStatus.LIVE).desc(), Room.created_at.desc(), Room.id.desc())
        .limit(limit)
    )


def my_open_rooms(user_id: int, limit: int = 6) -> list[Room]:
    """Return the lobby or live rooms I have a seat in, live ones first, newest first."""
    return list(db.session.scalars(_my_open_rooms_statement(limit), {"user_id": user_id}))
