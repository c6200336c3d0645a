"""Real Encore server processes (python wsgi.py) on loopback, and clients that log into them."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import requests

from tests.support.services import free_port, stop_process

ROOT = Path(__file__).resolve().parents[2]
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


class LiveServer:
    """One `python wsgi.py` process with its own port, sharing the test database."""

    def __init__(
        self,
        database_url: str,
        *,
        redis_url: str | None,
        prefix: str,
        instance_path: str,
        async_mode: str | None = None,
        extra_env: dict | None = None,
    ):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TEST_", "PYTEST"))}
        env.update(
            {
                "DATABASE_URL": database_url,
                "ENCORE_REDIS_PREFIX": prefix,
                "ENCORE_INSTANCE_PATH": instance_path,
                "SECRET_KEY": "live-server-test-secret",
                "PORT": str(self.port),
                "HOST": "127.0.0.1",
                "ENCORE_ASYNC_MODE": async_mode or os.environ.get("ENCORE_ASYNC_MODE", "eventlet"),
                "PYTHONWARNINGS": "ignore",
                # Shedding on event-loop lag would refuse setup posts on a loaded test
                # machine; tests/realtime/test_shed_on_lag.py turns it on.
                "ENCORE_SHED_LAG_SECONDS": "0",
            }
        )
        env.pop("REDIS_URL", None)
        if redis_url:
            env["REDIS_URL"] = redis_url
        env.update(extra_env or {})
        self.env = env
        self.process: subprocess.Popen | None = None
        self.log_path = Path(instance_path) / f"server-{self.port}.log"

    def start(self) -> LiveServer:
        """Start the process and wait until /healthz answers."""
        Path(self.log_path).parent.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "ab")  # noqa: SIM115  (closed in stop)
        self.process = subprocess.Popen(
            [sys.executable, "wsgi.py"],
            cwd=ROOT,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        # Importing the app takes 30 s and more on a loaded two-core machine.
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.log_path.read_text()[-3000:]}")
            try:
                if requests.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.1)
        self.stop()  # never leave a half-started server behind
        raise RuntimeError(f"server did not start: {self.log_path.read_text()[-3000:]}")

    def stop(self) -> None:
        """Stop the process."""
        stop_process(self.process)
        if getattr(self, "_log", None):
            self._log.close()

    def log(self) -> str:
        """Return what the server printed so far (for failure messages)."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


class WebUser:
    """A requests session that signs up or logs in to a live server like a browser."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.http = requests.Session()
        # Like the Flask test clients (tests/conftest.py), ask for English so assertions can
        # quote the source text; Korean is covered by tests/web/test_i18n_*.py and the e2e.
        self.http.headers["Accept-Language"] = "en"

    def csrf(self, path: str = "/") -> str:
        """Return the CSRF token from a page."""
        html = self.http.get(self.base_url + path, timeout=10).text
        match = CSRF_META.search(html)
        assert match, f"no csrf token on {path}"
        return match.group(1)

    def post(self, path: str, data: dict | None = None, *, htmx: bool = False, **kwargs):
        """POST with the CSRF token, without following the redirect."""
        token = self.csrf()
        headers = {"X-CSRFToken": token, "HX-Request": "true"} if htmx else {}
        data = dict(data or {})
        if not htmx:
            data["csrf_token"] = token
        return self.http.post(
            self.base_url + path,
            data=data,
            headers=headers,
            allow_redirects=False,
            timeout=15,
            **kwargs,
        )

    def signup(
        self, username: str, display_name: str | None = None, password: str = "correct horse"
    ) -> WebUser:
        """Create an account and stay logged in."""
        response = self.post(
            "/auth/signup",
            {
                "username": username,
                "display_name": display_name or username,
                "password": password,
            },
        )
        assert response.status_code == 303, response.text[:500]
        return self

    def cookie_header(self) -> str:
        """Return the Cookie header a socket client needs to share this session."""
        return "; ".join(f"{c.name}={c.value}" for c in self.http.cookies)
