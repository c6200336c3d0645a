"""Throwaway backing services for one test run: a database of its own and a Redis prefix."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from contextlib import closing
from urllib.parse import urlsplit, urlunsplit

import pytest

RUN_ID = uuid.uuid4().hex[:10]


def require_services() -> bool:
    """Tell whether a missing service must fail the run instead of skipping (CI)."""
    return os.environ.get("ENCORE_REQUIRE_SERVICES") == "1"


def missing_service(reason: str) -> None:
    """Skip loudly, or fail when ENCORE_REQUIRE_SERVICES=1."""
    message = f"MISSING SERVICE: {reason}"
    if require_services():
        pytest.fail(message + " (ENCORE_REQUIRE_SERVICES=1 turns this skip into a failure)")
    pytest.skip(message)


def free_port() -> int:
    """Return a TCP port on loopback that nobody listens on right now."""
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop_process(process: subprocess.Popen | None, timeout: float = 10) -> None:
    """Stop a child process politely, then firmly if it does not go within `timeout`."""
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=timeout)


def _with_database(url: str, name: str) -> str:
    """Return `url` pointing at database `name`."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def _admin_connect(url: str):
    """Open an autocommit psycopg2 connection for CREATE/DROP DATABASE."""
    import psycopg2

    dsn = url.replace("postgresql+psycopg2://", "postgresql://").replace(
        "postgres://", "postgresql://"
    )
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    return conn


class ThrowawayDatabase:
    """A database that exists for one test run: a PostgreSQL database or a SQLite file."""

    def __init__(self) -> None:
        self.server_url = os.environ.get("TEST_DATABASE_URL", "").strip() or None
        self.tmpdir = tempfile.mkdtemp(prefix=f"encore-test-{RUN_ID}-")
        if self.server_url:
            self.name = f"encore_test_{RUN_ID}"
            self.url = _with_database(self.server_url, self.name)
        else:
            self.name = None
            self.url = f"sqlite:///{self.tmpdir}/encore.sqlite3"

    @property
    def is_postgres(self) -> bool:
        """Tell whether this run uses PostgreSQL."""
        return self.server_url is not None

    def create(self) -> None:
        """Create the empty database."""
        if self.is_postgres:
            with closing(_admin_connect(self.server_url)) as conn, conn.cursor() as cur:
                cur.execute(f'CREATE DATABASE "{self.name}"')

    def drop(self) -> None:
        """Drop the database and remove the temporary folder."""
        if self.is_postgres:
            with closing(_admin_connect(self.server_url)) as conn, conn.cursor() as cur:
                cur.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        shutil.rmtree(self.tmpdir, ignore_errors=True)


class RedisServer:
    """TEST_REDIS_URL if given, else a redis-server this run starts on a free port."""

    def __init__(self) -> None:
        self.url = os.environ.get("TEST_REDIS_URL", "").strip() or None
        self.process: subprocess.Popen | None = None
        self.port: int | None = None

    def start(self) -> str | None:
        """Return a Redis URL, starting a private redis-server when none was given."""
        if self.url:
            return self.url
        binary = shutil.which("redis-server")
        if not binary:
            return None
        self.port = free_port()
        self.process = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.url = f"redis://127.0.0.1:{self.port}/0"
        _wait_for_port(self.port)
        return self.url

    def stop(self) -> None:
        """Stop the private redis-server, if this run started one."""
        stop_process(self.process)


def _wait_for_port(port: int, timeout: float = 10.0) -> None:
    """Wait until something accepts connections on 127.0.0.1:`port`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with closing(socket.socket()) as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port}")
