"""Deadlines that keep every show moving, and the host's clock controls.

The deadlines are columns of the room row (`deadline_at`, `paused_seconds_left`,
`last_activity_at`); the rule applied when one passes lives in `show.apply_overdue`. Three
things call `apply_due` here, and applying twice changes nothing:

- every read of the stage (so a show never looks stuck, whatever else is down);
- with Redis, the Celery beat sweep `app.tasks.deadlines.sweep_deadlines`, every few seconds;
- without Redis (the embedded mode), a background task in the web process (`start_sweeper`).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import Flask
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from app.database import utcnow
from app.extensions import db
from app.models import Performance, Phase, Room, RoomStatus
from app.services import show
from app.services.errors import Conflict
from app.services.rooms import NotHost
from app.services.stage import commit_stage, lock_room

log = logging.getLogger(__name__)
EXTEND_SECONDS = 60
SWEEP_SECONDS = 5


class ClockNotRunning(Conflict):
    """There is no clock to pause, resume or extend right now."""

    default_message = _l("There is no running clock to change.")


def is_due(room: Room, now: datetime) -> bool:
    """Tell, without locking, whether a live room may have something to apply now."""
    if room.status != RoomStatus.LIVE:
        return False
    if room.deadline_at is not None and room.deadline_at <= now:
        return True
    last = room.last_activity_at or room.started_at
    if last is not None and last <= now - timedelta(seconds=show.idle_seconds()):
        return True
    # Presence may have changed who scoring waits for; checked without the lock, so a
    # read during scoring only takes the room lock when there is something to close.
    performance = db.session.get(Performance, room.current_performance_id)
    return performance is not None and show.everyone_present_scored(room.id, performance)


def apply_due(room_id: int, now: datetime | None = None) -> bool:
    """Apply whatever is due on one room, under its lock; return whether the stage moved."""
    now = now or utcnow()
    room = db.session.get(Room, room_id)
    if room is None or not is_due(room, now):
        return False
    room = lock_room(room_id)
    if not show.apply_overdue(room, now):
        db.session.rollback()
        return False
    commit_stage(room, activity=False)
    return True


def due_room_ids(now: datetime) -> list[int]:
    """Return the live rooms with a deadline passed, an idle limit reached, or scoring open."""
    idle_cutoff = now - timedelta(seconds=show.idle_seconds())
    return list(
        db.session.scalars(
            select(Room.id)
            .outerjoin(Performance, Performance.id == Room.current_performance_id)
            .where(
                Room.status == RoomStatus.LIVE,
                or_(
                    Room.deadline_at <= now,
                    Room.last_activity_at <= idle_cutoff,
                    Room.last_activity_at.is_(None),
                    Performance.phase == Phase.SCORING,
                ),
            )
            .order_by(Room.id)
        )
    )


def sweep(now: datetime | None = None) -> int:
    """Apply everything due in every live room; return how many stages moved."""
    now = now or utcnow()
    moved = 0
    for room_id in due_room_ids(now):
        try:
            moved += apply_due(room_id, now)
        except Exception:  # one broken room must not stop the others
            db.session.rollback()
            log.exception("applying the deadline of room %s failed", room_id)
    db.session.remove()
    return moved


def _host_clock(room_id: int, actor_id: int) -> Room:
    """Lock a live room for its host, who is changing the clock."""
    room = lock_room(room_id)
    show.require_member(room, actor_id)
    if room.host_id != actor_id:
        raise NotHost(_l("Only the host can change the clock."))
    if room.status != RoomStatus.LIVE:
        raise show.ShowNotLive()
    return room


def pause(room_id: int, actor_id: int) -> Room:
    """The host stops the clock; the seconds left are kept on the row."""
    room = _host_clock(room_id, actor_id)
    if room.deadline_at is None:
        raise ClockNotRunning()
    left = max(0, int((room.deadline_at - utcnow()).total_seconds()))
    room.paused_seconds_left, room.deadline_at = left, None
    return commit_stage(room)


def resume(room_id: int, actor_id: int) -> Room:
    """The host restarts a paused clock with the seconds it had left."""
    room = _host_clock(room_id, actor_id)
    if room.paused_seconds_left is None:
        raise ClockNotRunning()
    room.deadline_at = utcnow() + timedelta(seconds=room.paused_seconds_left)
    room.paused_seconds_left = None
    return commit_stage(room)


def extend(room_id: int, actor_id: int) -> Room:
    """The host gives the current phase another minute (paused or running)."""
    room = _host_clock(room_id, actor_id)
    if room.paused_seconds_left is not None:
        room.paused_seconds_left += EXTEND_SECONDS
    elif room.deadline_at is not None:
        room.deadline_at = max(room.deadline_at, utcnow()) + timedelta(seconds=EXTEND_SECONDS)
    else:
        raise ClockNotRunning()
    return commit_stage(room)


def start_sweeper(app: Flask, every: float = SWEEP_SECONDS) -> bool:
    """In the embedded mode (no Redis, so no worker), sweep from this web process.

    Returns False (and starts nothing) when Redis is configured: Celery beat sweeps then.
    """
    if app.config.get("REDIS_URL"):
        return False
    from app.extensions import socketio

    def loop() -> None:
        while True:
            socketio.sleep(every)
            try:
                with app.app_context():
                    sweep()
            except Exception:  # the database away for a moment: the next round tries again
                log.warning("deadline sweep failed", exc_info=True)

    socketio.start_background_task(loop)
    return True
