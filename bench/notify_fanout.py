"""Notification fan-out benchmark: one "opened a room" told to N followers.

Seeds a throwaway PostgreSQL database with a host who has no followers and one with
N (default 10,000), then measures, in-process through the Flask test client:

- the request that opens a room (POST /rooms/), for each host: it only queues the fan-out
  task after its commit, so its time should not depend on N;
- the worker's part (`fanout.fan_out`, what the Celery task runs), timed on its own:
  wall time and notification rows written per second, batches of 1,000, each pushed on
  `user:<id>` through the Redis Socket.IO queue as a real worker does.

Example:

    .venv/bin/python -m bench.notify_fanout --followers 10000 --requests 20
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import time

from bench.harness import BENCH_PASSWORD, BenchEnv, common_arguments, percentiles, report
from bench.server_process import machine_busy_seconds
from bench.users import bulk_users

CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def build_app(env: BenchEnv):
    """An Encore app on the run's database and Redis prefix, as a web process has it."""
    os.environ.setdefault("SECRET_KEY", "bench-secret")
    from app import create_app
    from app.config import Config, celery_settings, engine_options

    config = Config()
    url = env.database_url.replace("postgresql://", "postgresql+psycopg2://", 1)
    config.SQLALCHEMY_DATABASE_URI = url
    config.SQLALCHEMY_ENGINE_OPTIONS = engine_options(url)
    config.REDIS_URL = env.redis_url
    config.REDIS_KEY_PREFIX = env.prefix
    config.CELERY = celery_settings(env.redis_url, env.prefix)
    config.SOCKETIO_ASYNC_MODE = "threading"
    config.SEED_DEMO_ON_RUN = False
    config.RATELIMIT_ENABLED = False
    return create_app(config)


def logged_in(app, username: str):
    """A test client logged in as `username`, and a CSRF token for its posts."""
    client = app.test_client()
    token = CSRF.search(client.get("/auth/login").get_data(as_text=True)).group(1)
    response = client.post(
        "/auth/login",
        data={"username": username, "password": BENCH_PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 303, response.status_code
    return client, CSRF.search(client.get("/").get_data(as_text=True)).group(1)


def time_openings(app, username: str, count: int) -> list[float]:
    """Open `count` rooms as `username`; return each POST's wall time in milliseconds."""
    client, token = logged_in(app, username)
    form = {"title": "Bench night", "category": "karaoke", "mode": "casual", "capacity": "10"}
    times = []
    for _ in range(count):
        started = time.perf_counter()
        response = client.post("/rooms/", data={**form, "csrf_token": token})
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 303, response.status_code
    return times


def main() -> None:
    """Run the scenario and print the summary and JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    common_arguments(parser)
    parser.add_argument("--followers", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=20, help="room openings per host")
    args = parser.parse_args()

    with BenchEnv(args.database_url, args.redis_url) as env:
        with env.db() as conn:
            (_quiet, _), (popular, _) = bulk_users(conn, 2, "host")
            fans = bulk_users(conn, args.followers, "fan")
            with conn.cursor() as cur:
                from psycopg2.extras import execute_values

                execute_values(
                    cur,
                    "INSERT INTO follows (follower_id, followed_id, created_at) VALUES %s",
                    [(fan_id, popular) for fan_id, _ in fans],
                    template="(%s, %s, now())",
                    page_size=2000,
                )
        app = build_app(env)
        # One warm-up each, so connection set-up is not counted against either host.
        time_openings(app, "host_0", 1)
        time_openings(app, "host_1", 1)
        without = time_openings(app, "host_0", args.requests)
        with_followers = time_openings(app, "host_1", args.requests)

        from sqlalchemy import func, select

        from app.extensions import db
        from app.models import Notification, Room
        from app.services.notifications import fanout
        from app.services.notifications.kinds import Kind

        with app.app_context():
            room_id = db.session.scalar(select(func.max(Room.id)).where(Room.host_id == popular))
            busy_before = machine_busy_seconds()
            started = time.perf_counter()
            written = fanout.fan_out(Kind.ROOM_OPENED, popular, "room", room_id)
            worker_s = time.perf_counter() - started
            busy = machine_busy_seconds() - busy_before
            rows = db.session.scalar(
                select(func.count())
                .select_from(Notification)
                .where(Notification.target_id == room_id)
            )
            started = time.perf_counter()
            again = fanout.fan_out(Kind.ROOM_OPENED, popular, "room", room_id)
            repeat_s = time.perf_counter() - started
            # The same work for another room with pushes switched off: the database's share.
            other_room = db.session.scalar(select(func.min(Room.id)).where(Room.host_id == popular))
            emitter = app.extensions["encore_emit"]
            app.extensions["encore_emit"] = lambda event, data, to: None
            started = time.perf_counter()
            silent = fanout.fan_out(Kind.ROOM_OPENED, popular, "room", other_room)
            silent_s = time.perf_counter() - started
            app.extensions["encore_emit"] = emitter

    result = {
        "followers": args.followers,
        "request_ms_0_followers": percentiles(without),
        "request_ms_n_followers": percentiles(with_followers),
        "worker_seconds": round(worker_s, 3),
        "worker_rows": int(written),
        "rows_in_table": int(rows),
        "rows_per_second": round(written / worker_s) if worker_s else None,
        "db_only_seconds": round(silent_s, 3),
        "db_only_rows_per_second": round(silent / silent_s) if silent_s else None,
        "repeat_run_seconds": round(repeat_s, 3),
        "repeat_run_rows": int(again),
        "machine_busy_cpu_seconds_during_worker": round(busy, 2),
    }
    summary = [
        f"request, 0 followers: median {statistics.median(without):.1f} ms",
        f"request, {args.followers} followers: median {statistics.median(with_followers):.1f} ms",
        f"worker: {written} rows in {worker_s:.2f} s = {result['rows_per_second']} rows/s",
        f"same without pushes: {silent} rows in {silent_s:.2f} s"
        f" = {result['db_only_rows_per_second']} rows/s",
        f"repeat (idempotent) run: {again} new rows in {repeat_s:.2f} s",
    ]
    report("notify_fanout", result, summary, args.json_out)


if __name__ == "__main__":
    main()
