"""Leaderboard benchmark: hourly refresh into Redis versus SQL aggregation on every request.

Seeds a throwaway PostgreSQL database (bulk COPY) with N users and M closed performances,
starts a private redis-server (or uses --redis-url), then measures:

- the refresh: wall time, and the longest single Redis command it ran (SLOWLOG at a
  0 µs threshold on the private server), plus each staging round trip's wall time;
- the leaderboard page's latency through the Flask test client (p50/p95/p99), logged in
  so the viewer's own rank is pinned;
- the same page computed by SQL aggregation per request (what the cache replaces).

Prints a JSON document, then a readable summary. Example:

    .venv/bin/python -m bench.leaderboard_refresh --users 100000 --performances 1000000
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import closing, suppress
from datetime import UTC, datetime
from pathlib import Path

from bench.harness import free_port, pg_connect, with_database
from bench.leaderboard_seed import CATEGORIES, PASSWORD, seed

ROOT = Path(__file__).resolve().parents[1]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(
        description="Benchmark the leaderboard refresh and page against per-request SQL.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--users", type=int, default=100_000, help="users to seed")
    parser.add_argument("--performances", type=int, default=1_000_000, help="performances")
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
        help="a PostgreSQL server; a throwaway database is created on it and dropped after",
    )
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("BENCH_REDIS_URL"),
        help="a Redis to use (default: start a private redis-server on a free port)",
    )
    parser.add_argument("--page-requests", type=int, default=400, help="cached page views")
    parser.add_argument("--sql-requests", type=int, default=10, help="SQL-aggregated views")
    parser.add_argument("--refreshes", type=int, default=2, help="refresh runs to time")
    parser.add_argument("--weeks", type=int, default=26, help="weeks the history spans")
    parser.add_argument(
        "--batch-size", type=int, default=None, help="override LEADERBOARD_BATCH_SIZE (2000)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--seed", type=int, default=7, help="random seed")
    return parser.parse_args(argv)


# ----------------------------------------------------------------------------- services


def start_redis() -> tuple[str, subprocess.Popen]:
    """Start a private redis-server (no persistence) and return its URL and process."""
    binary = shutil.which("redis-server")
    if not binary:
        sys.exit("redis-server not found; pass --redis-url")
    port = free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with closing(socket.socket()) as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return f"redis://127.0.0.1:{port}/0", process
        time.sleep(0.05)
    process.kill()
    sys.exit("redis-server did not start")


# ---------------------------------------------------------------------------- measuring


def percentiles(samples: list[float]) -> dict:
    """Return p50/p95/p99/max of millisecond samples."""
    ordered = sorted(samples)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)

    return {
        "n": len(ordered),
        "p50_ms": at(0.50),
        "p95_ms": at(0.95),
        "p99_ms": at(0.99),
        "max_ms": round(ordered[-1], 2),
        "mean_ms": round(statistics.fmean(ordered), 2),
    }


def slowlog(client, prefix: str) -> list[dict]:
    """Return this run's SLOWLOG entries (commands touching our keys), longest first."""
    entries = []
    for entry in client.slowlog_get(1_000_000):
        command = entry["command"]
        if isinstance(command, bytes):
            command = command.decode(errors="replace")
        if prefix not in command and not command.upper().startswith(("EXEC", "MULTI")):
            continue
        entries.append({"us": entry["duration"], "command": command[:90]})
    return sorted(entries, key=lambda e: -e["us"])


def login(client) -> None:
    """Log the test client in as user1 through the real form."""
    html = client.get("/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)
    response = client.post(
        "/auth/login", data={"username": "user1", "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code in (302, 303), response.status_code


def page_urls(rng: random.Random, count: int) -> list[str]:
    """A mix of board pages a crowd would open."""
    urls = []
    for _ in range(count):
        period = rng.choice(("all", "all", "week"))
        category = rng.choice((None, None, *CATEGORIES))
        page = rng.choice((1, 1, 1, 2, 3, rng.randint(1, 200)))
        query = f"period={period}&page={page}" + (f"&category={category}" if category else "")
        urls.append("/leaderboard?" + query)
    return urls


def sql_page(app, board, page: int, viewer_id: int) -> None:
    """Compute one page the old way: aggregate per request (page, viewer's rank, names)."""
    from sqlalchemy import Integer, cast, func, select

    from app.extensions import db
    from app.models import Performance, User
    from app.services import leaderboard

    size = app.config["LEADERBOARD_PAGE_SIZE"]
    score = func.sum(cast(func.round(Performance.average * 100), Integer)).label("score")
    grouped = (
        select(Performance.performer_id.label("user_id"), score)
        .where(Performance.counts_toward_ranking.is_(True))
        .group_by(Performance.performer_id)
    )
    if board.category:
        grouped = grouped.where(Performance.category == board.category)
    if board.period == "week":
        start, end = leaderboard.week_window(datetime.now(UTC))
        grouped = grouped.where(Performance.closed_at >= start, Performance.closed_at < end)
    sub = grouped.subquery()
    rows = db.session.execute(
        select(sub.c.user_id, sub.c.score, func.rank().over(order_by=sub.c.score.desc()))
        .order_by(sub.c.score.desc(), sub.c.user_id)
        .offset((page - 1) * size)
        .limit(size)
    ).all()
    mine = db.session.execute(select(sub.c.score).where(sub.c.user_id == viewer_id)).scalar()
    if mine is not None:
        db.session.execute(select(func.count()).where(sub.c.score > mine)).scalar()
    db.session.scalars(select(User).where(User.id.in_([r[0] for r in rows]))).all()


def run(args: argparse.Namespace) -> dict:
    """Seed, refresh, read; return the measurements."""
    rng = random.Random(args.seed)
    name = f"encore_bench_{secrets.token_hex(4)}"
    db_url = with_database(args.database_url, name)
    redis_process = None
    redis_url = args.redis_url
    if not redis_url:
        redis_url, redis_process = start_redis()
    prefix = f"encore-bench-{secrets.token_hex(3)}:"
    instance = tempfile.mkdtemp(prefix="encore-bench-")
    os.environ.update(
        {
            "DATABASE_URL": db_url,
            "REDIS_URL": redis_url,
            "ENCORE_REDIS_PREFIX": prefix,
            "ENCORE_INSTANCE_PATH": instance,
            "SECRET_KEY": "bench-secret",
            "ENCORE_ASYNC_MODE": "threading",
        }
    )
    sys.path.insert(0, str(ROOT))
    with closing(pg_connect(args.database_url)) as conn, conn.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    result: dict = {"config": vars(args) | {"database": name, "redis": redis_url}}
    result["machine"] = {"cpus": os.cpu_count(), "load_average_at_start": os.getloadavg()}
    try:
        from flask_migrate import upgrade

        from app import create_app
        from app.services import leaderboard

        app = create_app()
        app.config["RATELIMIT_ENABLED"] = False
        if args.batch_size:
            app.config["LEADERBOARD_BATCH_SIZE"] = args.batch_size
        result["config"]["batch_size"] = app.config["LEADERBOARD_BATCH_SIZE"]
        with app.app_context():
            upgrade(directory=str(ROOT / "migrations"))
        result["seed"] = seed(db_url, args.users, args.performances, args.weeks, rng)
        client_redis = app.extensions["encore_redis"]
        own_server = redis_process is not None
        if own_server:
            client_redis.config_set("slowlog-log-slower-than", 0)
            client_redis.config_set("slowlog-max-len", 1_000_000)

        refreshes = []
        for _ in range(args.refreshes):
            if own_server:
                client_redis.slowlog_reset()
            with app.app_context():
                started = time.perf_counter()
                outcome = leaderboard.refresh()
                seconds = time.perf_counter() - started
            assert outcome.refreshed, outcome
            entry = {
                "seconds": round(seconds, 2),
                "boards": outcome.boards,
                "members_all_time": outcome.members,
                "phases_s": outcome.as_dict()["phases"],
            }
            if own_server:
                log = slowlog(client_redis, prefix)
                entry["redis_commands"] = len(log)
                entry["longest_redis_command_ms"] = round(log[0]["us"] / 1000, 3) if log else 0
                entry["slowest_commands"] = log[:5]
                zadds = [e["us"] / 1000 for e in log if e["command"].upper().startswith("ZADD")]
                if zadds:
                    entry["zadd_ms"] = percentiles(zadds)
                entry["zadd_batches"] = sum(
                    1 for e in log if e["command"].upper().startswith("ZADD")
                )
            refreshes.append(entry)
        result["refresh"] = refreshes
        with app.app_context():
            stored = sum(
                client_redis.zcard(prefix + f"lb:cur:{b.name}") for b in leaderboard.all_boards()
            )
        result["refresh_members_total"] = stored

        client = app.test_client()
        login(client)
        urls = page_urls(rng, args.page_requests)
        for url in urls[:20]:  # warm the template cache and the connection pools
            assert client.get(url).status_code == 200
        if own_server:
            client_redis.slowlog_reset()
        samples = []
        for url in urls:
            started = time.perf_counter()
            response = client.get(url)
            samples.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, url
            # A ranked row, or the empty state of a page past the end (in any language).
            assert b"lb-rank" in response.data or b'<p class="empty">' in response.data
        result["page_cached"] = percentiles(samples)
        if own_server:
            log = slowlog(client_redis, prefix)
            result["page_cached"]["longest_redis_command_ms"] = (
                round(log[0]["us"] / 1000, 3) if log else 0
            )

        # The cache read alone (what the service does per view, before templates).
        read_samples = []
        with app.test_request_context():
            for url in urls:
                query = dict(part.split("=") for part in url.split("?", 1)[1].split("&"))
                started = time.perf_counter()
                leaderboard.page(query["period"], query.get("category"), int(query["page"]), 1)
                read_samples.append((time.perf_counter() - started) * 1000)
        result["service_read_cached"] = percentiles(read_samples)

        sql_samples = []
        with app.test_request_context():
            boards = [
                leaderboard.Board("all"),
                leaderboard.Board("week"),
                leaderboard.Board("all", "karaoke"),
            ]
            for i in range(args.sql_requests):
                board = boards[i % len(boards)]
                started = time.perf_counter()
                sql_page(app, board, 1 + i % 3, 1)
                sql_samples.append((time.perf_counter() - started) * 1000)
        result["page_sql_aggregation"] = percentiles(sql_samples)
    finally:
        from app.extensions import db

        with suppress(Exception):  # no app was built: nothing to dispose
            db.engine.dispose()
        if not args.keep:
            with closing(pg_connect(args.database_url)) as conn, conn.cursor() as cur:
                cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if redis_process is not None:
            redis_process.terminate()
            redis_process.wait(timeout=10)
        elif redis_url:
            import redis

            client = redis.Redis.from_url(redis_url)
            for key in client.scan_iter(match=prefix + "*", count=1000):
                client.unlink(key)
        shutil.rmtree(instance, ignore_errors=True)
    return result


def summary(result: dict) -> str:
    """Return a readable summary of `result`, with the targets of issue 6."""
    seed_info = result["seed"]
    last = result["refresh"][-1]
    cached, sql = result["page_cached"], result["page_sql_aggregation"]
    lines = [
        f"seeded {seed_info['users']:,} users, {seed_info['performances']:,} performances "
        f"in {seed_info['seconds']} s",
        "refresh: "
        + ", ".join(f"{r['seconds']} s" for r in result["refresh"])
        + f" (target < 15 s); {result['refresh_members_total']:,} board entries written",
    ]
    if "longest_redis_command_ms" in last:
        lines.append(
            f"longest Redis command during refresh: {last['longest_redis_command_ms']} ms "
            f"(target < 20 ms) over {last['redis_commands']} commands, "
            f"{last['zadd_batches']} ZADD batches"
        )
    if "zadd_ms" in last:
        zadd = last["zadd_ms"]
        lines.append(
            f"ZADD batch ({result['config']['batch_size']} members): p50 {zadd['p50_ms']} ms, "
            f"p95 {zadd['p95_ms']} ms, max {zadd['max_ms']} ms"
        )
    lines.append("refresh phases (s): " + json.dumps(last.get("phases_s", {})))
    lines.append(
        f"page (cache): p50 {cached['p50_ms']} ms, p95 {cached['p95_ms']} ms "
        f"(target < 10 ms), p99 {cached['p99_ms']} ms over {cached['n']} views"
    )
    read = result["service_read_cached"]
    lines.append(
        f"cache read alone (service, no template): p50 {read['p50_ms']} ms, p95 {read['p95_ms']} ms"
    )
    lines.append(
        f"page (SQL aggregation per request): p50 {sql['p50_ms']} ms, "
        f"p95 {sql['p95_ms']} ms over {sql['n']} views"
    )
    if cached["p95_ms"]:
        lines.append(f"speed-up at p95: {sql['p95_ms'] / cached['p95_ms']:.0f}x")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print JSON, then the summary."""
    args = parse_args(argv)
    result = run(args)
    print(json.dumps(result, indent=2, default=str))
    print()
    print(summary(result))


if __name__ == "__main__":
    main()
