"""Shared benchmark plumbing: throwaway services, server processes, logins, metrics, output.

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
import time
import uuid
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bench.cpu_quota import CpuCgroup, since

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


# ---------------------------------------------------------------- server processes


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


class Server:
    """One server process on loopback: Encore (`bench/serve.py` ≡ `wsgi.py`) or the bare one.

    With `cpu_quota` the process runs in a cgroup of its own capped at that share of a core
    (bench/cpu_quota.py), made at start and removed at stop.
    """

    def __init__(
        self,
        env: BenchEnv,
        *,
        kind: str = "encore",
        async_mode: str = "eventlet",
        gc: str = "default",
        extra_env: dict | None = None,
        cpu_quota: float | None = None,
    ) -> None:
        self.kind = kind
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.instance_path = env.instance_path
        self.gc_log = str(Path(env.instance_path) / f"gc-{self.port}.log")
        self.log_path = Path(env.instance_path) / f"server-{self.port}.log"
        base = {k: v for k, v in os.environ.items() if not k.startswith(("TEST_", "PYTEST"))}
        base.pop("REDIS_URL", None)
        base.update(
            {
                "ENCORE_REDIS_PREFIX": env.prefix,
                "ENCORE_INSTANCE_PATH": env.instance_path,
                "SECRET_KEY": "bench-secret-" + env.run_id,
                "PORT": str(self.port),
                "HOST": "127.0.0.1",
                "ENCORE_ASYNC_MODE": async_mode,
                "BENCH_ASYNC_MODE": async_mode,
                "BENCH_GC": gc,
                "BENCH_GC_LOG": self.gc_log,
                "PYTHONWARNINGS": "ignore",
            }
        )
        if env.redis_url:
            base["REDIS_URL"] = env.redis_url
        if env.database_url:
            base["DATABASE_URL"] = env.database_url
        base.update(extra_env or {})
        self.env = base
        self.process: subprocess.Popen | None = None
        self._gc_mark = 0
        self.cpu_quota = cpu_quota
        self.cgroup: CpuCgroup | None = None
        self._cgroup_name = f"{env.run_id}-{self.port}"

    def start(self) -> Server:
        """Start the process and wait until /healthz answers 200."""
        import requests

        script = "bench/serve.py" if self.kind == "encore" else "bench/bare_server.py"
        self._log = open(self.log_path, "ab")  # noqa: SIM115  (closed in stop)
        if self.cpu_quota and self.cgroup is None:
            self.cgroup = CpuCgroup(self._cgroup_name, self.cpu_quota).create()
        self.process = subprocess.Popen(
            [sys.executable, script],
            cwd=ROOT,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            preexec_fn=self._preexec,  # from the main thread: the signal follows the thread
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.log()[-3000:]}")
            try:
                if requests.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"server did not start: {self.log()[-3000:]}")

    def stop(self) -> None:
        """Stop the process."""
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        if getattr(self, "_log", None):
            self._log.close()
        if self.cgroup is not None:
            self.cgroup.remove()
            self.cgroup = None

    def _preexec(self) -> None:
        """In the child before exec: die with the bench, and enter the CPU cap (if any) so
        the server is capped from its first instruction."""
        die_with_parent()
        if self.cgroup is not None:
            self.cgroup.join()

    def cpu_throttling(self) -> dict | None:
        """The CPU cap's throttling so far (bench/cpu_quota.py), or None when uncapped."""
        return self.cgroup.throttling() if self.cgroup is not None else None

    def log(self) -> str:
        """Return what the server printed so far."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def cpu_seconds(self) -> float:
        """Return the CPU time (user + system) the process has used so far."""
        with open(f"/proc/{self.process.pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK

    def memory_mib(self) -> dict:
        """Return the current and peak resident set size in MiB."""
        values = {}
        with open(f"/proc/{self.process.pid}/status") as handle:
            for line in handle:
                if line.startswith(("VmRSS:", "VmHWM:")):
                    values[line.split(":")[0]] = round(int(line.split()[1]) / 1024, 1)
        return {"rss_mib": values.get("VmRSS"), "peak_rss_mib": values.get("VmHWM")}

    def gc_since_mark(self) -> dict:
        """Summarise collections logged since the last call, then move the mark."""
        from bench.gc_tune import read_pause_log

        summary = read_pause_log(self.gc_log, self._gc_mark)
        self._gc_mark = summary.pop("lines", self._gc_mark)
        return summary


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine has spent busy since boot (all cores, /proc/stat)."""
    with open("/proc/stat") as handle:
        fields = [int(x) for x in handle.readline().split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / CLK_TCK


def flask_command(server: Server, *command: str, timeout: float = 600) -> dict:
    """Run `flask <command>` against the server's database and Redis; time it."""
    env = dict(server.env, ENCORE_ASYNC_MODE="threading")
    started = time.monotonic()
    finished = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi:app", *command],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return {
        "command": "flask " + " ".join(command),
        "exit_code": finished.returncode,
        "seconds": round(time.monotonic() - started, 2),
        "output": (finished.stdout + finished.stderr)[-500:],
    }


class Meter:
    """CPU, memory and GC pauses of a set of server processes over one measured step.

    It also measures how busy the whole machine was, so a reader can tell when other
    work on a shared machine, not the server, set the numbers.
    """

    def __init__(self, servers: list[Server]) -> None:
        self.servers = servers
        self.started = time.monotonic()
        self.machine0 = machine_busy_seconds()
        self.cpu0 = [s.cpu_seconds() for s in servers]
        self.throttled0 = [s.cpu_throttling() for s in servers]
        for server in servers:
            server.gc_since_mark()

    def finish(self) -> dict:
        """Return what the servers used since the meter started."""
        wall = time.monotonic() - self.started
        cpu = [s.cpu_seconds() - c0 for s, c0 in zip(self.servers, self.cpu0, strict=True)]
        memory = [s.memory_mib() for s in self.servers]
        gcs = [s.gc_since_mark() for s in self.servers]
        machine_busy = (machine_busy_seconds() - self.machine0) / wall if wall else None
        throttled = [
            since(s.cpu_throttling(), t0)
            for s, t0 in zip(self.servers, self.throttled0, strict=True)
        ]
        # Only capped servers report throttling, so uncapped output stays as it was.
        capped = {"cpu_throttled_per_process": throttled} if any(throttled) else {}
        return {
            "machine_busy_cores": round(machine_busy, 2) if machine_busy is not None else None,
            "load_average_1m": round(os.getloadavg()[0], 2),
            "server_cpu_seconds": round(sum(cpu), 3),
            "server_cpu_cores": round(sum(cpu) / wall, 2) if wall else None,
            "server_cpu_per_process": [round(c / wall, 2) for c in cpu],
            "server_peak_rss_mib": max((m["peak_rss_mib"] or 0) for m in memory),
            "server_rss_mib": [m["rss_mib"] for m in memory],
            "gc": {
                "full_collections": sum(g["full_collections"] for g in gcs),
                "full_ms_max": max(g["full_ms_max"] for g in gcs),
                "full_cpu_ms_max": max(g["full_cpu_ms_max"] for g in gcs),
                "full_ms_total": round(sum(g["full_ms_total"] for g in gcs), 1),
                "slow_young_collections": sum(g["slow_young_collections"] for g in gcs),
                "young_ms_max": max(g["young_ms_max"] for g in gcs),
                "young_cpu_ms_max": max(g["young_cpu_ms_max"] for g in gcs),
            },
            **capped,
        }
