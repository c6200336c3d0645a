"""A redis-server a test owns: it can stop and start it, never touching the shared one."""

from __future__ import annotations

import shutil
import subprocess
import time

import redis

from tests.support.services import free_port, missing_service


class PrivateRedis:
    """One redis-server on a free loopback port, started and stopped by the test itself."""

    def __init__(self) -> None:
        self.binary = shutil.which("redis-server")
        if not self.binary:
            missing_service("redis-server is not installed (apt-get install -y redis-server)")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> PrivateRedis:
        """Start (or restart) the server empty, on the same port, and wait until it answers."""
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port, socket_connect_timeout=0.5)
        for _ in range(100):
            try:
                if client.ping():
                    return self
            except redis.RedisError:
                time.sleep(0.05)
        raise RuntimeError("private redis-server did not start")

    def stop(self) -> None:
        """Stop the server; what it held is gone, as after a crash without persistence."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None
