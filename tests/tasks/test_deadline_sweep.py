"""Show deadlines applied by a real Celery worker through the broker, as beat schedules it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from app.database import utcnow
from app.extensions import db
from app.models import Performance, Phase, Room, RoomStatus
from app.services import rooms, show
from tests.conftest import make_app
from tests.support import factories

pytestmark = [pytest.mark.celery, pytest.mark.redis]

TASK = "app.tasks.deadlines.sweep_deadlines"


def _sweep(worker_app) -> int:
    """Send one sweep to the worker through the broker and wait for its answer."""
    celery = worker_app.extensions["celery"]
    return celery.send_task(TASK, ignore_result=False).get(timeout=60)


def _expire(room_id: int) -> None:
    """Let the room's deadline pass."""
    db.session.execute(
        update(Room).where(Room.id == room_id).values(deadline_at=utcnow() - timedelta(seconds=1))
    )
    db.session.commit()


def _stage(room_id: int) -> list[tuple[int, Phase]]:
    db.session.expire_all()
    return [
        (p.performer_id, p.phase)
        for p in db.session.scalars(
            select(Performance).where(Performance.room_id == room_id).order_by(Performance.turn)
        )
    ]


def test_beat_sweeps_show_deadlines_every_few_seconds():
    celery = make_app().extensions["celery"]
    entries = [e for e in celery.conf.beat_schedule.values() if e["task"] == TASK]
    assert len(entries) == 1 and entries[0]["schedule"] <= 10
    assert TASK in celery.tasks


def test_the_worker_ends_the_turn_closes_scoring_and_nominates(worker_app, celery_worker):
    with worker_app.app_context():
        mina, junho, seoyeon = (factories.user(n) for n in ("mina", "junho", "seoyeon"))
        room_id = rooms.create_room(mina, "Clock night", "", "karaoke", "ranked", 5, 1, 10).id
        rooms.join_room(room_id, junho)
        rooms.join_room(room_id, seoyeon)
        show.start_show(room_id, mina)
        # The web process that did all this goes away: only the rows remain.
        db.session.remove()
        db.engine.dispose()

        assert _sweep(worker_app) == 0  # nothing is due yet
        _expire(room_id)
        assert _sweep(worker_app) == 1
        assert _stage(room_id) == [(mina, Phase.SCORING)]
        assert _sweep(worker_app) == 0  # applied once

        show.score(room_id, junho, "6")
        _expire(room_id)
        assert _sweep(worker_app) == 1
        assert _stage(room_id)[0][1] == Phase.CLOSED

        _expire(room_id)  # nobody nominated: junho has waited longest
        assert _sweep(worker_app) == 1
        assert _stage(room_id)[-1] == (junho, Phase.ON_AIR)
        assert db.session.get(Room, room_id).status == RoomStatus.LIVE
