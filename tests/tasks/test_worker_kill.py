"""A Celery worker killed with SIGKILL mid-refresh: the board stays whole, the next one runs.

A real worker process (`celery -A worker worker`, as the Procfile starts it) takes the
refresh while the test holds the performances table locked, so it is caught mid-refresh
holding the single-flight lock. The test kills it without a goodbye, checks that readers
still see the previous board whole, waits for the dead worker's lock to lapse (nobody
renews it any more), and has a second worker refresh while readers keep reading: each read
is the old board or the new one, never a mix. PostgreSQL only (it locks a table).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import psycopg2
import pytest

from app.redis_store import redis_key
from app.services import leaderboard
from tests.realtime.chat_live import wait_for
from tests.support import factories

pytestmark = [pytest.mark.celery, pytest.mark.redis, pytest.mark.postgres]

TASK = "app.tasks.leaderboard.refresh_leaderboards"
ROOT = Path(__file__).resolve().parents[2]


def _worker(app, log: Path) -> subprocess.Popen:
    """Start `celery -A worker worker` on this run's database, Redis and key prefix."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "TEST_"))}
    env.update(
        {
            "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
            "REDIS_URL": app.config["REDIS_URL"],
            "ENCORE_REDIS_PREFIX": app.config["REDIS_KEY_PREFIX"],
            "ENCORE_PROCESS": "worker",
            "SECRET_KEY": "worker-kill-test",
            "PYTHONWARNINGS": "ignore",
        }
    )
    # One process (solo pool): the SIGKILL hits the process running the task.
    command = [sys.executable, "-m", "celery", "-A", "worker", "worker", "--pool", "solo"]
    return subprocess.Popen(
        [*command, "--loglevel", "WARNING"],
        cwd=ROOT,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


def _board(app) -> list[tuple[int, str]]:
    """The all-time board as a reader sees it: (rank, username) per row."""
    with app.app_context():
        rows = leaderboard.page("all", None, 1, None).rows
        return [(row.entry.rank, row.user.username) for row in rows]


def test_a_worker_killed_mid_refresh_leaves_the_board_whole(worker_app, database, tmp_path):
    if not database.is_postgres:
        pytest.skip("needs PostgreSQL: run with TEST_DATABASE_URL=postgresql://…")
    with worker_app.app_context():
        judge = factories.user("judge")
        ana, bob, cyd = (factories.user(name) for name in ("ana", "bob", "cyd"))
        room = factories.room(judge, member_ids=(ana, bob, cyd))
        factories.finished_performance(room, ana, {judge: 9})
        factories.finished_performance(room, bob, {judge: 5})
        assert leaderboard.refresh().refreshed
        # New results the killed refresh was about to publish.
        factories.finished_performance(room, cyd, {judge: 10})
        factories.finished_performance(room, bob, {judge: 10})
        lock = redis_key("lb", "lock")
    client = worker_app.extensions["encore_redis"]
    before = _board(worker_app)
    assert before == [(1, "ana"), (2, "bob")]
    after = [(1, "bob"), (2, "cyd"), (3, "ana")]
    celery = worker_app.extensions["celery"]

    blocker = psycopg2.connect(database.url.replace("postgresql+psycopg2:", "postgresql:"))
    first = _worker(worker_app, tmp_path / "worker1.log")
    try:
        with blocker.cursor() as cur:
            cur.execute("LOCK TABLE performances IN ACCESS EXCLUSIVE MODE")
        celery.send_task(TASK)
        # The worker took the single-flight lock and waits on the table: mid-refresh.
        assert wait_for(lambda: client.exists(lock), 60.0), (tmp_path / "worker1.log").read_text()
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        if first.poll() is None:
            first.kill()
        blocker.rollback()
        blocker.close()
    assert first.returncode == -signal.SIGKILL
    assert _board(worker_app) == before  # the previous board, whole

    # Nobody renews the dead worker's lock, so it lapses by itself.
    assert wait_for(lambda: not client.exists(lock), 90.0)
    second = _worker(worker_app, tmp_path / "worker2.log")
    try:
        result = celery.send_task(TASK, ignore_result=False)
        seen = set()
        while not result.ready():
            seen.add(tuple(_board(worker_app)))
        assert result.get(timeout=120)["status"] == "refreshed"
    finally:
        second.terminate()
        second.wait(timeout=30)
    seen.add(tuple(_board(worker_app)))
    assert seen <= {tuple(before), tuple(after)}
    assert _board(worker_app) == after
