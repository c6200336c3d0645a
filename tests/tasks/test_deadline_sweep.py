"""Show deadlines applied by a real Celery worker through the broker, as beat schedules it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from app.database import utcnow
from app.extensions import db
from app.models import Performance, Phase, Room, RoomMember, RoomStatus
from app.services import rooms, show
from tests.conftest import REDIS_PREFIX, make_app
from tests.support import factories
from tests.support.live_server import LiveServer, WebUser

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


def test_a_killed_web_process_leaves_the_clock_to_the_worker(
    worker_app, celery_worker, database, redis_url, tmp_path
):
    # The web process that ran the show is killed (no goodbye); the worker applies every
    # deadline from the rows alone, and a web process started afterwards shows the result.
    def server(name: str) -> LiveServer:
        path = tmp_path / name
        path.mkdir()
        return LiveServer(
            database.url, redis_url=redis_url, prefix=REDIS_PREFIX, instance_path=str(path)
        ).start()

    first = server("first")
    try:
        mina = WebUser(first.url).signup("mina")
        junho = WebUser(first.url).signup("junho")
        created = mina.post(
            "/rooms/",
            {"title": "Clock night", "category": "karaoke", "mode": "ranked", "capacity": "4"},
        )
        room_id = int(created.headers["Location"].rstrip("/").rsplit("/", 1)[1])
        assert junho.post(f"/rooms/{room_id}/join").status_code == 303
        assert mina.post(f"/rooms/{room_id}/start").status_code == 303
    finally:
        first.process.kill()
        first.process.wait(timeout=10)
        first.stop()
    with worker_app.app_context():
        mina_id = db.session.scalar(select(Room.host_id).where(Room.id == room_id))
        junho_id = next(p for p in _members(room_id) if p != mina_id)
        _expire(room_id)
        assert _sweep(worker_app) == 1
        assert _stage(room_id) == [(mina_id, Phase.SCORING)]
        _expire(room_id)
        assert _sweep(worker_app) == 1
        assert _stage(room_id)[0][1] == Phase.CLOSED
        _expire(room_id)  # nobody nominated: junho has waited longest
        assert _sweep(worker_app) == 1
        assert _stage(room_id)[-1] == (junho_id, Phase.ON_AIR)
    second = server("second")
    try:
        html = WebUser(second.url).signup("fan").http.get(f"{second.url}/rooms/{room_id}").text
        assert "On air" in html and "Turn 2" in html
    finally:
        second.stop()


def _members(room_id: int) -> list[int]:
    return list(db.session.scalars(select(RoomMember.user_id).where(RoomMember.room_id == room_id)))
