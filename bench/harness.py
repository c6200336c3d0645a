"""Shared benchmark plumbing: throwaway services, logins, metrics, output.

The server processes themselves, and the meter that reads them, are in
bench/server_process.py.

Every run gets its own PostgreSQL database (created and dropped with psycopg2), its own
Redis key prefix and its own instance folder, so runs never see each other's data.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import uuid
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PG = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
DEFAULT_REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
BENCH_PASSWORD = "bench-password"  # noqa: S105  (throwaway bench users only)
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
CLK_TCK = os.sysconf("SC_CLK_TCK")
GC_CHOICES = ["default", "freeze", "tuned", "freeze+tuned"]


# ---------------------------------------------------------------- numbers and output


def percentiles(values: list[float]) -> dict:
    """Return count, p50, p95, p99, max and mean of `values` (nearest-rank), rounded."""
    if not values:
        return {"count": 0, "p50": None, "p95": None, "p99": None, "max": None, "mean": None}
    ordered = sorted(values)

    def rank(p: float) -> float:
        index = max(0, min(len(ordered) - 1, math.ceil(p / 100 * len(ordered)) - 1))
        return round(ordered[index], 2)

    return {
        "count": len(ordered),
        "p50": rank(50),
        "p95": rank(95),
        "p99": rank(99),
        "max": round(ordered[-1], 2),
        "mean": round(sum(ordered) / len(ordered), 2),
    }


def machine() -> dict:
    """Describe where the numbers came from: cores, memory, Python, commit, time."""
    try:
        with open("/proc/meminfo") as handle:
            mem_kb = int(handle.readline().split()[1])
    except OSError:
        mem_kb = 0
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
    except OSError:
        commit = ""
    return {
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "commit": commit,
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def report(name: str, result: dict, summary: list[str], json_out: str | None) -> None:
    """Print the readable summary, then the JSON; also write the JSON to `json_out`."""
    result = {"scenario": name, "machine": machine(), **result}
    print(f"== {name} ==")
    for line in summary:
        print("  " + line)
    text = json.dumps(result, indent=2, default=str)
    print(text)
    if json_out:
        Path(json_out).parent.mkdir(parents=True, exist_ok=True)
        Path(json_out).write_text(text + "\n")


def not_available(name: str, reason: str, json_out: str | None, **extra) -> None:
    """Report a scenario this build cannot run (a route it needs answers 404)."""
    report(
        name,
        {"status": "not available on this build", "reason": reason, **extra},
        [f"not available on this build: {reason}"],
        json_out,
    )


def nothing_to_summarise(name: str, result: dict, args) -> bool:
    """Tell whether a scenario's run ends here: it ran as a callgrind child (its parent
    reports), or this build cannot run it (reported now, as `not_available`)."""
    if getattr(args, "callgrind_child", False):
        return True
    if result["status"] != "ok":
        not_available(name, result["reason"], args.json_out)
        return True
    return False


def common_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options every scenario shares."""
    parser.add_argument(
        "--async-mode", default="eventlet", choices=["eventlet", "gevent"], help="server mode"
    )
    parser.add_argument("--database-url", default=DEFAULT_PG, help="PostgreSQL server to use")
    parser.add_argument("--redis-url", default=DEFAULT_REDIS, help="Redis to use")
    parser.add_argument("--json-out", help="also write the JSON result to this file")


def fmt(value: object, unit: str = "") -> str:
    """Format a number for the summary, or '–' when there is none."""
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.1f}{unit}"
    return f"{value}{unit}"


def latency_line(label: str, stats: dict) -> str:
    """One summary line of latency percentiles in milliseconds."""
    return (
        f"{label}: p50 {fmt(stats['p50'])} / p95 {fmt(stats['p95'])} / "
        f"p99 {fmt(stats['p99'])} / max {fmt(stats['max'])} ms (n={stats['count']})"
    )


# ---------------------------------------------------------------- services


def free_port() -> int:
    """Return a loopback TCP port nobody listens on right now."""
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def with_database(url: str, name: str) -> str:
    """Return `url` pointing at database `name`."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def pg_connect(url: str, *, autocommit: bool = True):
    """Open a psycopg2 connection to `url`."""
    import psycopg2

    conn = psycopg2.connect(url.replace("postgresql+psycopg2://", "postgresql://"))
    conn.autocommit = autocommit
    return conn


class BenchEnv:
    """One run's throwaway database (optional), Redis prefix and instance folder."""

    def __init__(
        self,
        server_url: str = DEFAULT_PG,
        redis_url: str | None = DEFAULT_REDIS,
        *,
        database: bool = True,
        existing_database_url: str | None = None,
    ) -> None:
        self.run_id = uuid.uuid4().hex[:8]
        self.server_url = server_url
        self.redis_url = redis_url
        self.prefix = f"encore-bench-{self.run_id}:"
        self.instance_path = tempfile.mkdtemp(prefix=f"encore-bench-{self.run_id}-")
        self.want_database = database
        self.owns_database = database and not existing_database_url
        self.db_name = f"encore_bench_{self.run_id}"
        self.database_url = existing_database_url or (
            with_database(server_url, self.db_name) if database else None
        )

    def __enter__(self) -> BenchEnv:
        exit_on_sigterm()
        if self.owns_database:
            with closing(pg_connect(self.server_url)) as conn, conn.cursor() as cur:
                cur.execute(f'CREATE DATABASE "{self.db_name}"')
            migrate(self.database_url, self.instance_path)
        return self

    def __exit__(self, *exc) -> None:
        if self.owns_database:
            with closing(pg_connect(self.server_url)) as conn, conn.cursor() as cur:
                cur.execute(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')
        if self.redis_url:
            try:
                import redis

                client = redis.Redis.from_url(self.redis_url)
                for key in client.scan_iter(match=self.prefix + "*", count=1000):
                    client.delete(key)
                client.close()
            except Exception as error:  # cleanup must not hide the results
                print(f"warning: could not clean Redis keys: {error}", file=sys.stderr)
        shutil.rmtree(self.instance_path, ignore_errors=True)

    def db(self):
        """Return an autocommit connection to this run's database."""
        return pg_connect(self.database_url)


def migrate(database_url: str, instance_path: str) -> None:
    """Bring `database_url` to the latest schema with `flask db upgrade`."""
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": database_url,
            "ENCORE_INSTANCE_PATH": instance_path,
            "ENCORE_ASYNC_MODE": "threading",  # no patching in a CLI process
            "SECRET_KEY": "bench-secret",
            "PYTHONWARNINGS": "ignore",
        }
    )
    env.pop("REDIS_URL", None)
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi:app", "db", "upgrade"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )


# ---------------------------------------------------------------- processes


def die_with_parent() -> None:
    """Ask Linux to stop this process when its parent dies (a killed benchmark leaves no
    servers or clients behind)."""
    try:
        import ctypes
        import signal

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def exit_on_sigterm() -> None:
    """Turn SIGTERM into SystemExit, so cleanup (servers, database) runs."""
    import signal
    import threading

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
