"""What the logged-in home shows first: my open rooms and my unread notifications."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import Room, RoomMember, RoomStatus


def my_open_rooms(user_id: int, limit: int = 6) -> list[Room]:
    """Return the lobby or live rooms I have a seat in, live ones first, newest first."""
    return list(
        db.session.scalars(
            select(Room)
            .join(RoomMember, RoomMember.room_id == Room.id)
            .where(
                RoomMember.user_id == user_id,
                RoomMember.left_at.is_(None),
                Room.status.in_((RoomStatus.LOBBY, RoomStatus.LIVE)),
            )
            .order_by(
                (Room.status == RoomStatus.LIVE).desc(), Room.created_at.desc(), Room.id.desc()
            )
            .limit(limit)
        )
    )
