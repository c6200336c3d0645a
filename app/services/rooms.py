"""Rooms: creation, seats and membership."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import RoomMember


def can_watch(user_id: int, room_id: int) -> bool:
    """Tell whether `user_id` holds (or held, once the show started) a seat in the room."""
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
