"""The hourly refresh as Celery runs it: schedule, ranks, single flight and the live event."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
import socketio as socketio_client
from celery.schedules import crontab

from app.extensions import db
from app.services import leaderboard
from tests.conftest import _wipe_redis, _wipe_tables, make_app
from tests.support import factories
from tests.support.live_server import LiveServer, WebUser

pytestmark = [
    pytest.mark.celery,
    pytest.mark.redis,
    # Celery's Redis result backend still stores results with redis-py's deprecated SETEX.
    pytest.mark.filterwarnings("ignore:Call to deprecated setex:DeprecationWarning"),
]

TASK = "app.tasks.leaderboard.refresh_leaderboards"
KST = ZoneInfo("Asia/Seoul")


def _run(worker_app, timeout: float = 60) -> dict:
    """Send the refresh to the worker through the broker and wait for its result."""
    celery = worker_app.extensions["celery"]
    return celery.send_task(TASK, ignore_result=False).get(timeout=timeout)


def _send(worker_app):
    """Send the refresh without waiting."""
    return worker_app.extensions["celery"].send_task(TASK, ignore_result=False)


def test_beat_runs_the_refresh_hourly_at_minute_zero_in_korea_time():
    celery = make_app().extensions["celery"]
    entries = [e for e in celery.conf.beat_schedule.values() if e["task"] == TASK]
    assert len(entries) == 1
    schedule = entries[0]["schedule"]
    assert isinstance(schedule, crontab)
    assert schedule.minute == {0} and schedule.hour == set(range(24))
    assert schedule.day_of_week == set(range(7))
    assert celery.conf.timezone == "Asia/Seoul"
    assert TASK in celery.tasks


def test_the_worker_computes_the_right_ranks(worker_app, celery_worker):
    now = datetime.now(KST)
    monday = datetime(now.year, now.month, now.day, tzinfo=KST) - timedelta(days=now.weekday())
    with worker_app.app_context():
        judge = factories.user("judge")
        ana, bob, cyd, dee = (factories.user(n) for n in ("ana", "bob", "cyd", "dee"))
        ranked = factories.room(judge, member_ids=(ana, bob, cyd, dee))
        casual = factories.room(judge, mode="casual", category="dance", member_ids=(dee,))
        # All time: ana 17, bob 9 and cyd 9 tie, dee 2 (her casual tens never count).
        factories.finished_performance(ranked, ana, {judge: 9}, closed_at=monday)
        factories.finished_performance(ranked, ana, {judge: 8}, closed_at=monday)
        factories.finished_performance(ranked, bob, {judge: 9}, closed_at=monday)
        # Sunday 23:59 KST is last week; Monday 00:00 KST is this week.
        factories.finished_performance(
            ranked, cyd, {judge: 9}, closed_at=monday - timedelta(minutes=1)
        )
        factories.finished_performance(ranked, dee, {judge: 2}, closed_at=monday)
        factories.finished_performance(casual, dee, {judge: 10}, closed_at=monday)

    result = _run(worker_app)
    assert result["status"] == "refreshed" and result["members"] == 4

    with worker_app.test_request_context():

        def ranks(period, category=None):
            rows = leaderboard.page(period, category, 1, None).rows
            return sorted((row.entry.rank, row.user.username) for row in rows)

        assert ranks("all") == [(1, "ana"), (2, "bob"), (2, "cyd"), (4, "dee")]
        assert ranks("week") == [(1, "ana"), (2, "bob"), (3, "dee")]
        assert ranks("all", "dance") == []
        assert leaderboard.rank_of(cyd, "week") is None
        assert leaderboard.updated_at() is not None


def test_a_held_lock_is_honoured(worker_app, celery_worker):
    with worker_app.app_context():
        judge, ana = factories.user("judge"), factories.user("ana")
        factories.finished_performance(factories.room(judge, member_ids=(ana,)), ana, {judge: 7})
        client = worker_app.extensions["encore_redis"]
        lock = worker_app.config["REDIS_KEY_PREFIX"] + "lb:lock"
        client.set(lock, "another-run", px=60_000)

    assert _run(worker_app)["status"] == "skipped"
    with worker_app.app_context():
        assert client.get(lock) == "another-run"  # a skipped run never releases another's lock
        assert leaderboard.updated_at() is None
        client.delete(lock)
    assert _run(worker_app)["status"] == "refreshed"
    with worker_app.app_context():
        assert not client.exists(lock)
        assert leaderboard.rank_of(ana).rank == 1


def test_runs_started_together_never_overlap(worker_app, celery_worker):
    with worker_app.app_context():
        judge = factories.user("judge")
        people = [factories.user(f"player{i}") for i in range(8)]
        room = factories.room(judge, capacity=20, member_ids=tuple(people))
        for i, uid in enumerate(people):
            factories.finished_performance(room, uid, {judge: 1 + i})
    sent = [_send(worker_app) for _ in range(4)]
    results = [r.get(timeout=60) for r in sent]
    refreshed = [r for r in results if r["status"] == "refreshed"]
    assert refreshed, results
    assert all(r["reason"] == "another refresh is running" for r in results if r not in refreshed)
    spans = sorted(
        (datetime.fromisoformat(r["at"]) - timedelta(seconds=r["seconds"]), r["at"])
        for r in refreshed
    )
    for (_start, end), (next_start, _end) in pairwise(spans):
        assert datetime.fromisoformat(end) <= next_start, results


def test_a_second_run_skips_while_the_first_is_working(worker_app, celery_worker, database):
    """Hold the first run inside its aggregate (a table lock), then start a second one."""
    if not database.is_postgres:
        pytest.skip("holding a run mid-aggregate needs PostgreSQL's LOCK TABLE")
    with worker_app.app_context():
        judge, ana = factories.user("judge"), factories.user("ana")
        factories.finished_performance(factories.room(judge, member_ids=(ana,)), ana, {judge: 7})
        client = worker_app.extensions["encore_redis"]
        lock = worker_app.config["REDIS_KEY_PREFIX"] + "lb:lock"
        db.session.remove()  # end the factories' read, or LOCK TABLE would wait for it
        with db.engine.connect() as holder:
            transaction = holder.begin()
            holder.exec_driver_sql("LOCK TABLE performances IN ACCESS EXCLUSIVE MODE")
            first = _send(worker_app)
            deadline = time.monotonic() + 30
            while not client.exists(lock) and time.monotonic() < deadline:
                time.sleep(0.02)
            assert client.exists(lock), "the first run never started"
            second = _run(worker_app)
            assert second == {**second, "status": "skipped"}
            assert not first.ready()
            transaction.rollback()
        assert first.get(timeout=60)["status"] == "refreshed"
        assert not client.exists(lock)


@pytest.mark.realtime
def test_the_refreshed_event_reaches_an_open_page(
    worker_app, celery_worker, database, redis_url, tmp_path
):
    """A page subscribed to `leaderboard` on a real server hears the worker's refresh."""
    server = LiveServer(
        database.url,
        redis_url=redis_url,
        prefix=worker_app.config["REDIS_KEY_PREFIX"],
        instance_path=str(tmp_path),
    ).start()
    sio = socketio_client.Client(reconnection=False)
    heard: list[dict] = []
    arrived = threading.Event()

    @sio.on("leaderboard:refreshed")
    def on_refreshed(payload):
        heard.append(payload)
        arrived.set()

    try:
        browser = WebUser(server.url).signup("mina", "김민아")
        page = browser.http.get(server.url + "/leaderboard", timeout=10).text
        assert 'data-subscribe="leaderboard"' in page
        assert 'data-listen="leaderboard:refreshed"' in page
        sio.connect(
            server.url, headers={"Cookie": browser.cookie_header()}, transports=["websocket"]
        )
        ack = sio.call("subscribe", {"leaderboard": True}, timeout=10)
        assert ack == {"ok": True, "room": "leaderboard"}
        result = _run(worker_app)
        assert result["status"] == "refreshed"
        assert arrived.wait(10), "no leaderboard:refreshed reached the page"
        assert heard == [{"at": result["at"]}]
        # The page's live notice now offers the new rankings.
        notice = browser.http.get(
            server.url + "/leaderboard/notice", params={"since": "2000-01-01T00:00:00+00:00"}
        )
        assert "New rankings are in." in notice.text
    finally:
        if sio.connected:
            sio.disconnect()
        server.stop()


def test_flask_leaderboard_refresh_runs_it_by_hand(redis_url):
    app = make_app(REDIS_URL=redis_url)
    try:
        with app.app_context():
            judge, ana = factories.user("judge"), factories.user("ana")
            room = factories.room(judge, member_ids=(ana,))
            factories.finished_performance(room, ana, {judge: 7})
        output = app.test_cli_runner().invoke(args=["leaderboard", "refresh"])
        assert output.exit_code == 0, output.output
        assert '"status": "refreshed"' in output.output
        with app.app_context():
            assert leaderboard.rank_of(ana).score_cents == 700
    finally:
        with app.app_context():
            _wipe_tables()
        _wipe_redis(app)
