"""The embedded mode (no Redis, no worker) applies show deadlines itself, even when the web
process was killed in the middle of a show and started again."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import _wipe_tables, make_app
from tests.support.live_server import LiveServer, WebUser

pytestmark = pytest.mark.realtime


def _engine(database_url: str):
    return create_engine(database_url.replace("postgresql://", "postgresql+psycopg2://"))


def _phases(engine, room_id: int) -> list[str]:
    with engine.connect() as conn:
        return [
            row[0]
            for row in conn.execute(
                text("SELECT phase FROM performances WHERE room_id = :id ORDER BY turn"),
                {"id": room_id},
            )
        ]


def _expire(engine, room_id: int) -> None:
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE rooms SET deadline_at = :past WHERE id = :id"),
            {"id": room_id, "past": "2000-01-01 00:00:00+00:00"},
        )


def _wait_for(engine, room_id: int, phases: list[str], server: LiveServer) -> None:
    """Wait (without reading the room over HTTP) until the sweeper moved the show."""
    give_up = time.monotonic() + 60
    while time.monotonic() < give_up:
        if _phases(engine, room_id) == phases:
            return
        time.sleep(0.5)
    raise AssertionError(f"{_phases(engine, room_id)} != {phases}\n{server.log()[-2000:]}")


def test_a_killed_and_restarted_embedded_server_still_runs_the_clock(database, tmp_path):
    first = LiveServer(
        database.url, redis_url=None, prefix="clock:", instance_path=str(tmp_path / "a")
    ).start()
    engine = _engine(database.url)
    try:
        mina = WebUser(first.url).signup("mina")
        junho = WebUser(first.url).signup("junho")
        response = mina.post(
            "/rooms/",
            {
                "title": "Clock night",
                "category": "karaoke",
                "mode": "ranked",
                "capacity": "4",
                "turn_minutes": "1",
                "scoring_seconds": "10",
            },
        )
        room_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
        assert junho.post(f"/rooms/{room_id}/join").status_code == 303
        assert mina.post(f"/rooms/{room_id}/start").status_code == 303
        first.process.kill()  # no goodbye: the process just dies
        first.process.wait(timeout=10)
        _expire(engine, room_id)

        second = LiveServer(
            database.url, redis_url=None, prefix="clock:", instance_path=str(tmp_path / "b")
        ).start()
        try:
            _wait_for(engine, room_id, ["scoring"], second)  # the turn ended by itself
            _expire(engine, room_id)
            _wait_for(engine, room_id, ["closed"], second)  # scoring closed by itself
        finally:
            second.stop()
    finally:
        first.stop()
        engine.dispose()
        with make_app().app_context():
            _wipe_tables()  # the live servers wrote to the shared test database
