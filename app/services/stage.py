"""The one home of the room lock and the stage version.

Every stage change (a show action, a seat taken or given up, a deadline applied) holds the
room row (BEGIN IMMEDIATE on SQLite, SELECT … FOR UPDATE on PostgreSQL), bumps
`room.version` exactly once and queues exactly one `stage` event, sent after the commit.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from app.database import begin_write, utcnow
from app.extensions import db
from app.models import Room, RoomStatus
from app.realtime.broadcast import broadcast
from app.realtime.events import STAGE
from app.services.errors import NotFound


class RoomNotFound(NotFound):
    """No such room, or one the viewer may not see."""

    default_message = _l("We could not find that room.")


def lock_room(room_id: int) -> Room:
    """Open a write transaction holding the room row, and return the fresh room."""
    begin_write()
    room = db.session.scalar(
        select(Room)
        .where(Room.id == room_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if room is None or room.status == RoomStatus.CANCELLED:
        raise RoomNotFound()
    return room


def bump_version(room_id: int, *, activity: bool = True) -> int:
    """Bump the version in this transaction and queue one stage event; return the version.

    `activity` marks a person's action: the idle limit counts from the last one, so a show
    that only moves by its own deadlines still ends when nobody is left to play.
    """
    values: dict = {"version": Room.version + 1}
    if activity:
        values["last_activity_at"] = utcnow()
    version = db.session.execute(
        update(Room)
        .where(Room.id == room_id)
        .values(**values)
        .returning(Room.version)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    broadcast(STAGE, {"room_id": room_id, "version": int(version)}, f"room:{room_id}")
    return int(version)


def commit_stage(room: Room, *, activity: bool = True) -> Room:
    """Flush, bump the version, queue the one stage event, commit, and return the room."""
    db.session.flush()
    bump_version(room.id, activity=activity)
    db.session.commit()
    return db.session.get(Room, room.id, populate_existing=True)
