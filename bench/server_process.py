"""Benchmark server processes on loopback: start, stop, and what they used.

`Server` starts Encore (`bench/serve.py`, the same app as `wsgi.py`) or the bare
Flask-SocketIO server on a free port, on a run's throwaway database and Redis prefix
(`bench.harness.BenchEnv`), optionally capped at a share of a core (bench/cpu_quota.py).
`Meter` reads their CPU, memory, GC pauses and throttling over one measured step.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from bench.cpu_quota import CpuCgroup, since
from bench.harness import CLK_TCK, ROOT, BenchEnv, die_with_parent, free_port


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
        return _stat_cpu_seconds(self.process.pid)[1]

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


def _stat_cpu_seconds(pid: int | str) -> tuple[str, float]:
    """A process's command name and the CPU (user + system) it has used, from /proc."""
    with open(f"/proc/{pid}/stat") as handle:
        data = handle.read()
    name, rest = data.split("(", 1)[1].rsplit(")", 1)
    fields = rest.split()
    return name, (int(fields[11]) + int(fields[12])) / CLK_TCK


def processes_cpu_seconds(command: str) -> float:
    """CPU seconds used so far by every live process named `command` on this machine.

    For "postgres": the database server with its backends, when it runs here.
    """
    total = 0.0
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                name, seconds = _stat_cpu_seconds(entry.name)
            except (OSError, ValueError, IndexError):
                continue  # the process ended while we read
            if name == command:
                total += seconds
    return total


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
