"""Who is present in a room: a live socket (app.services.presence) or a recent page load.

People without JavaScript have no socket; their page reloads itself, and each load of the
room marks them seen. Either sign counts, so nobody is called absent for lacking a script.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update

from app.database import begin_write, utcnow
from app.extensions import db
from app.models import RoomMember
from app.services import presence

# A page load is written at most this often per member, so reading the room stays cheap.
TOUCH_EVERY_SECONDS = 10


def grace_seconds() -> int:
    """Return how long a page load keeps a member present without a socket."""
    return int(current_app.config.get("PRESENCE_GRACE_SECONDS", 30))


def touch_seat(room_id: int, user_id: int, last_seen_at: datetime | None) -> datetime | None:
    """Mark a seated member as seen now (at most every few seconds); commits on its own.

    `last_seen_at` is the seat's as the caller just read it with the room's members (the
    stage does), so a page load that changes nothing costs no statement. Returns the
    seat's last-seen time after this load.
    """
    now = utcnow()
    if last_seen_at is not None and last_seen_at >= now - timedelta(seconds=TOUCH_EVERY_SECONDS):
        return last_seen_at
    begin_write()
    result = db.session.execute(
        update(RoomMember)
        .where(
            RoomMember.room_id == room_id,
            RoomMember.user_id == user_id,
            RoomMember.left_at.is_(None),
            (RoomMember.last_seen_at.is_(None))
            | (RoomMember.last_seen_at < now - timedelta(seconds=TOUCH_EVERY_SECONDS)),
        )
        .values(last_seen_at=now)
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount:
        return last_seen_at  # another tab touched it first, or the seat was just given up
    db.session.commit()
    return now


def present_among(seats: Iterable[tuple[int, datetime | None]], online: set[int]) -> set[int]:
    """Return who is here among `seats` (user id, last seen): a socket in `online` (the
    room's, from app.services.presence), or a page load within the grace period."""
    since = utcnow() - timedelta(seconds=grace_seconds())
    return {
        user_id
        for user_id, seen in seats
        if user_id in online or (seen is not None and seen >= since)
    }


def present_member_ids(room_id: int) -> set[int]:
    """Return the seated members who are here now: a socket, or a recent page load."""
    seated = db.session.execute(
        select(RoomMember.user_id, RoomMember.last_seen_at).where(
            RoomMember.room_id == room_id, RoomMember.left_at.is_(None)
        )
    ).all()
    return present_among(seated, set(presence.online_user_ids(room_id)))
