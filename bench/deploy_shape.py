"""The docker-compose shape on this machine, without Docker: one launcher for every rehearsal.

nginx (the Debian package) runs `deploy/nginx.conf` (ip_hash) with its upstreams pointed at
N `python wsgi.py` web processes on loopback, beside a Celery worker and beat, a
redis-server of its own (so a scenario may kill and restart it) and a throwaway PostgreSQL
database: on a server given by URL, or on a private cluster made with initdb in a temporary
folder (so a scenario may stop it without disturbing anything else).

    python -m bench.deploy_shape --web 3             # serve until Ctrl-C; prints the URL
    python -m bench.deploy_shape --web 3 --private-postgres --no-celery

Scenarios use `DeployShape` as a context manager (bench/rehearsal.py, rehearsal_db.py,
rehearsal_worker.py, fanout.py `--via nginx`, scaleout.py, soak.py). Clients that should
spread over the web processes must come from distinct loopback networks (`client_address`):
ip_hash hashes an IPv4 address's first three octets.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from bench.harness import DEFAULT_PG, ROOT, BenchEnv, free_port
from bench.server_process import Server

WEB_PROCESSES = 3


def client_address(n: int) -> str:
    """The loopback address of client `n`: its own /24 for the first 250, so ip_hash spreads
    them (127.0.1.1, 127.0.2.1, …, then 127.0.1.2, …)."""
    return f"127.0.{n % 250 + 1}.{n // 250 % 250 + 1}"


def nginx_available() -> bool:
    """Tell whether the nginx binary is installed."""
    return bool(shutil.which("nginx") or Path("/usr/sbin/nginx").exists())


class OwnRedis:
    """A redis-server of the rehearsal's own on a free port, so it may be restarted."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> OwnRedis:
        """Start it empty and wait until it answers."""
        import redis

        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""],
            stdout=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port)
        for _ in range(100):
            try:
                client.ping()
                return self
            except redis.RedisError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        """Kill it; its keys go with it."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


def nginx_conf(workdir: Path, port: int, upstreams: list[int]) -> Path:
    """Write deploy/nginx.conf, pointed at loopback, inside an `http {}` of its own."""
    site = (ROOT / "deploy" / "nginx.conf").read_text()
    servers = "".join(
        f"    server 127.0.0.1:{p} max_fails=1 fail_timeout=10s;\n" for p in upstreams
    )
    site = re.sub(
        r"(upstream encore \{\n    ip_hash;\n)(?:    server [^\n]+\n)+", r"\1" + servers, site
    )
    site = site.replace("listen 80;", f"listen 127.0.0.1:{port};")
    temp = "".join(
        f"    {name}_temp_path {workdir}/{name};\n"
        for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    # Each proxied socket holds two descriptors (client and upstream): room for 4,000.
    conf = (
        f"worker_processes 1;\nworker_rlimit_nofile 16384;\npid {workdir}/nginx.pid;\n"
        f"error_log {workdir}/error.log warn;\n"
        "events { worker_connections 8192; }\n"
        "http {\n"
        "    log_format rehearsal '$remote_addr $request_method $uri $status $upstream_addr';\n"
        f"    access_log {workdir}/access.log rehearsal;\n"
        f"{temp}"
        f"{site}\n"
        "}\n"
    )
    path = workdir / "nginx.conf"
    path.write_text(conf)
    return path


class Nginx:
    """An nginx master process in the foreground, on a config of our own."""

    def __init__(self, workdir: Path, upstreams: list[int]) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.conf = nginx_conf(workdir, self.port, upstreams)
        self.process: subprocess.Popen | None = None

    def start(self) -> Nginx:
        """Start nginx and wait until it proxies /healthz."""
        import requests

        binary = shutil.which("nginx") or "/usr/sbin/nginx"
        self.process = subprocess.Popen(
            [binary, "-p", str(self.workdir), "-c", str(self.conf), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        for _ in range(100):
            try:
                if requests.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return self
            except requests.RequestException:
                time.sleep(0.1)
        raise RuntimeError((self.workdir / "error.log").read_text()[-2000:])

    def stop(self) -> None:
        """Stop nginx."""
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def socket_landings(self) -> dict[str, Counter]:
        """For each client address, how many socket requests each upstream served.

        nginx logs a request when it ends, so a websocket shows once it has closed; the
        polling requests of a handshake show at once.
        """
        landed: dict[str, Counter] = {}
        log = self.workdir / "access.log"
        for line in log.read_text().splitlines() if log.exists() else []:
            parts = line.split()
            if len(parts) >= 5 and parts[2].startswith("/socket.io/"):
                landed.setdefault(parts[0], Counter())[parts[4]] += 1
        return landed


def celery_process(env: BenchEnv, role: str, log: Path) -> subprocess.Popen:
    """Start `celery -A worker worker|beat` against the run's database and Redis."""
    child = {k: v for k, v in os.environ.items() if not k.startswith(("TEST_", "PYTEST"))}
    child.update(
        {
            "DATABASE_URL": env.database_url,
            "REDIS_URL": env.redis_url,
            "ENCORE_REDIS_PREFIX": env.prefix,
            "ENCORE_INSTANCE_PATH": env.instance_path,
            "ENCORE_PROCESS": "worker",
            "SECRET_KEY": "bench-secret-" + env.run_id,
            "PYTHONWARNINGS": "ignore",
        }
    )
    extra = ["--concurrency", "1"] if role == "worker" else ["-s", f"{env.instance_path}/beat"]
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "worker", role, "--loglevel", "WARNING", *extra],
        cwd=ROOT,
        env=child,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


def established_per_port(ports: list[int]) -> dict[int, int]:
    """Count the established TCP connections each loopback listening port holds now.

    Behind nginx a Socket.IO websocket is one long upstream connection, and page requests
    close theirs at once, so this is the number of sockets each web process carries.
    """
    wanted = {f"{port:04X}": port for port in ports}
    counts = dict.fromkeys(ports, 0)
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            local_port = fields[1].rsplit(":", 1)[1]
            if fields[3] == "01" and local_port in wanted:  # 01: ESTABLISHED
                counts[wanted[local_port]] += 1
    return counts


class DeployShape:
    """nginx + N web processes + Celery worker and beat + Redis + a throwaway database.

    `env` may be given (a scenario that made its own BenchEnv); otherwise the shape makes
    one on `database_url`'s server, or on a private PostgreSQL (`private_postgres=True`),
    and on its own redis-server unless `redis_url` is given. `web=0` starts no web
    processes and no nginx (a worker-only rehearsal). `cpu_quota` caps each web process
    (and only them: not nginx, Celery, Redis or PostgreSQL) at that share of a core, each
    in a cgroup of its own (bench/cpu_quota.py).
    """

    def __init__(
        self,
        *,
        web: int = WEB_PROCESSES,
        celery: bool = True,
        nginx: bool = True,
        env: BenchEnv | None = None,
        database_url: str = DEFAULT_PG,
        private_postgres: bool = False,
        redis_url: str | None = None,
        kind: str = "encore",
        async_mode: str = "eventlet",
        gc: str = "default",
        server_env: Callable[[int], dict] | None = None,
        cpu_quota: float | None = None,
    ) -> None:
        self.web_count = web
        self.cpu_quota = cpu_quota
        self.want_celery = celery
        self.want_nginx = nginx and web > 0
        self.env = env
        self._owns_env = env is None
        self.database_url = database_url
        self.want_private_postgres = private_postgres
        self.redis_url = redis_url
        self.server_options = {"kind": kind, "async_mode": async_mode, "gc": gc}
        self.server_env = server_env or (lambda _n: {})
        self.redis: OwnRedis | None = None
        self.database = None  # tests.support.private_postgres.PrivatePostgres
        self.webs: list[Server] = []
        self.celery: dict[str, subprocess.Popen] = {}
        self.nginx: Nginx | None = None

    @property
    def url(self) -> str:
        """Where clients go: nginx, or the first web process when there is no nginx."""
        return self.nginx.url if self.nginx else self.webs[0].url

    def __enter__(self) -> DeployShape:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> DeployShape:
        """Start everything, in the order docker-compose would, and wait until it answers."""
        if self._owns_env:
            if self.redis_url is None:
                self.redis = OwnRedis().start()
            server_url = self.database_url
            if self.want_private_postgres:
                from tests.support.private_postgres import PrivatePostgres

                self.database = PrivatePostgres().start()
                server_url = self.database.server_url
            redis_url = self.redis.url if self.redis else self.redis_url
            self.env = BenchEnv(server_url, redis_url).__enter__()
        # Behind one proxy the app must read the client's address from X-Forwarded-For,
        # or every client shares nginx's address and its per-address rate limits.
        proxy = {"ENCORE_PROXY_HOPS": "1"} if self.want_nginx else {}
        for n in range(self.web_count):
            server = Server(
                self.env,
                **self.server_options,
                extra_env={**proxy, **self.server_env(n)},
                cpu_quota=self.cpu_quota,
            )
            self.webs.append(server)
            server.start()
        if self.want_celery:
            for role in ("worker", "beat"):
                self.start_celery(role)
        if self.want_nginx:
            workdir = Path(self.env.instance_path) / "nginx"
            workdir.mkdir(exist_ok=True)
            self.nginx = Nginx(workdir, [w.port for w in self.webs]).start()
        return self

    def start_celery(self, role: str, log_name: str | None = None) -> subprocess.Popen:
        """Start (or start again) the Celery `worker` or `beat`."""
        log = Path(self.env.instance_path) / (log_name or f"{role}.log")
        self.celery[role] = celery_process(self.env, role, log)
        return self.celery[role]

    def sockets_per_web(self) -> dict[str, int]:
        """Established connections per web process now ("127.0.0.1:port" → count)."""
        counts = established_per_port([w.port for w in self.webs])
        return {f"127.0.0.1:{port}": count for port, count in counts.items()}

    def stop(self) -> None:
        """Stop everything that was started, newest first; drop what the shape made."""
        if self.nginx:
            self.nginx.stop()
        for process in self.celery.values():
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=5)
        for web in self.webs:
            web.stop()
        if self._owns_env and self.env is not None:
            if self.database and not (self.database.data / "postmaster.pid").exists():
                self.database.start()  # a scenario left it stopped: the database is dropped
            if self.redis:
                # Its keys go with it; and Ctrl-C in a terminal has already stopped it.
                self.env.redis_url = None
            try:
                self.env.__exit__(None, None, None)
            finally:
                if self.redis:
                    self.redis.stop()
                if self.database:
                    self.database.remove()


def main(argv: list[str] | None = None) -> None:
    """Serve the deploy shape until Ctrl-C, for rehearsing by hand."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.deploy_shape",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--web", type=int, default=WEB_PROCESSES, help="web processes (3)")
    parser.add_argument("--no-celery", dest="celery", action="store_false", help="no Celery")
    parser.add_argument("--database-url", default=DEFAULT_PG, help="PostgreSQL server to use")
    parser.add_argument(
        "--private-postgres", action="store_true", help="a PostgreSQL of its own (initdb)"
    )
    parser.add_argument("--redis-url", help="a Redis to use instead of one of its own")
    parser.add_argument("--async-mode", default="eventlet", choices=["eventlet", "gevent"])
    args = parser.parse_args(argv)
    if not nginx_available():
        sys.exit("nginx is not installed (apt-get install nginx)")
    if args.redis_url is None and not shutil.which("redis-server"):
        sys.exit("redis-server is not installed; pass --redis-url")
    stop = []
    signal.signal(signal.SIGINT, lambda *_: stop.append(True))
    with DeployShape(
        web=args.web,
        celery=args.celery,
        database_url=args.database_url,
        private_postgres=args.private_postgres,
        redis_url=args.redis_url,
        async_mode=args.async_mode,
    ) as shape:
        print(f"Encore behind nginx: {shape.url}", flush=True)
        for web in shape.webs:
            print(f"  web process {web.url} (log {web.log_path})", flush=True)
        for role, process in shape.celery.items():
            print(f"  celery {role} pid {process.pid}", flush=True)
        print(f"  database {shape.env.database_url}", flush=True)
        print(f"  redis {shape.env.redis_url}", flush=True)
        print("Ctrl-C stops everything and drops the database.", flush=True)
        while not stop:
            time.sleep(0.5)


if __name__ == "__main__":
    main()
