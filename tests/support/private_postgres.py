"""A PostgreSQL server a test owns: initdb in a temporary folder, started and stopped at will.

The shared PostgreSQL is never restarted; a test (or the rehearsal) that needs the database
to go away starts one of its own on a free loopback port. PostgreSQL refuses to run as
root, so under root the server runs as the `postgres` system user.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.support.services import free_port, missing_service


def _binaries() -> Path | None:
    """The folder holding initdb and pg_ctl: the newest Debian install, else the PATH."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb and shutil.which("pg_ctl") else None


class PrivatePostgres:
    """One PostgreSQL cluster in a temporary folder, trusting local connections."""

    def __init__(self) -> None:
        self.bin = _binaries()
        if self.bin is None:
            missing_service("initdb is not installed (apt-get install -y postgresql)")
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            if not shutil.which("runuser"):
                missing_service("running PostgreSQL as root needs runuser (util-linux)")
            self.as_user = ["runuser", "-u", "postgres", "--"]
        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="encore-private-pg-"))
        self.data = self.folder / "data"
        self.server_url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        if self.as_user:
            shutil.chown(self.folder, "postgres", "postgres")
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-sync",
            "--no-instructions",
        )

    def _run(self, program: str, *args: str) -> None:
        subprocess.run(
            [*self.as_user, str(self.bin / program), *args],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            timeout=120,
        )

    def url(self, database: str) -> str:
        """The URL of `database` on this server."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> PrivatePostgres:
        """Start (or restart) the server on the same port and data; wait until it accepts."""
        # fsync and full-page writes only guard against the machine losing power; a stop
        # here is a process crash, after which the OS still holds every write. Commits stay
        # synchronous: an asynchronous commit still sits in PostgreSQL's own WAL buffers
        # when `stop` kills it, and what the test wrote just before would vanish.
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories="
            f"{self.folder} -c fsync=off -c full_page_writes=off"
        )
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(self.folder / "server.log"),
            "-w",
            "-t",
            "60",
            "start",
        )
        return self

    def stop(self) -> None:
        """Stop at once, as a crash would: clients see their connections cut."""
        if (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def create_database(self, name: str) -> str:
        """Create `name` and return its URL."""
        import psycopg2

        conn = psycopg2.connect(self.server_url)
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                cur.execute(f'CREATE DATABASE "{name}"')
        finally:
            conn.close()
        return self.url(name)

    def remove(self) -> None:
        """Stop the server and delete its folder."""
        try:
            self.stop()
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)
