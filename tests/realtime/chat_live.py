"""Helpers for chat tests against real server processes: people with sockets, a private Redis."""

from __future__ import annotations

import re
import shutil
import subprocess
import threading
import time
import uuid
from pathlib import Path

import pytest
import redis
import socketio as socketio_client

from tests.support.live_server import WebUser
from tests.support.services import _wait_for_port, free_port, missing_service, stop_process

SEQ = re.compile(r'data-seq="(\d+)"')


class ChatUser(WebUser):
    """A browser session on a live server with its own Socket.IO connection."""

    def __init__(self, base_url: str) -> None:
        super().__init__(base_url)
        self.events: list[dict] = []
        self.inbox: list[dict] = []
        self._lock = threading.Lock()
        self.sock: socketio_client.Client | None = None
        self.last_response = None  # the last `say`'s response, for refusal details

    def connect(self, socket_url: str | None = None) -> ChatUser:
        """Open a websocket to `socket_url` (default: the server the user signed up on)."""
        sock = socketio_client.Client(reconnection=True, reconnection_delay=0.2)
        sock.on("chat:message", self._on_message)
        sock.on("inbox", self._on_inbox)
        sock.connect(
            socket_url or self.base_url,
            headers={"Cookie": self.cookie_header()},
            transports=["websocket"],
            wait_timeout=10,
        )
        self.sock = sock
        return self

    def _on_message(self, payload: dict) -> None:
        with self._lock:
            self.events.append(payload)

    def _on_inbox(self, payload: dict) -> None:
        with self._lock:
            self.inbox.append(payload)

    def subscribe(self, channel_id: int) -> None:
        """Join `channel:<id>` and insist the server said yes."""
        ack = self.sock.call("subscribe", {"channel_id": channel_id}, timeout=10)
        assert ack == {"ok": True, "room": f"channel:{channel_id}"}, ack

    def seqs(self, channel_id: int) -> list[int]:
        """The sequence numbers received for a channel, in arrival order."""
        with self._lock:
            return [e["seq"] for e in self.events if e["channel_id"] == channel_id]

    def say(self, url: str, body: str, server: str | None = None) -> int:
        """Post a line (as the htmx composer does) to `server`; return its seq, or the status."""
        response = self.post_to(
            server or self.base_url, url, {"body": body, "client_id": uuid.uuid4().hex}
        )
        self.last_response = response
        if response.status_code in (200, 201):
            return int(response.headers["X-Chat-Seq"])
        return -response.status_code

    def say_when_admitted(self, url: str, body: str, server: str, timeout: float = 15) -> int:
        """Post a line as a person does after a 429 toast: wait the Retry-After, send again.

        A 429 stores nothing (the gate and the flood rule refuse before the write), so trying
        again with a new client id never posts the line twice. Returns the seq, or the last
        refusal's status (negative) once `timeout` has passed.
        """
        deadline = time.monotonic() + timeout
        while True:
            seq = self.say(url, body, server=server)
            if seq != -429 or time.monotonic() >= deadline:
                return seq
            wait = float(self.last_response.headers.get("Retry-After", "1"))
            time.sleep(max(0.2, min(wait, deadline - time.monotonic())))

    def post_to(self, server: str, path: str, data: dict):
        """POST to any of the servers with this session's CSRF token."""
        token = self.csrf()
        return self.http.post(
            server + path,
            data=data,
            headers={"X-CSRFToken": token, "HX-Request": "true"},
            allow_redirects=False,
            timeout=15,
        )

    def send_line(self, url: str, body: str, token: str, *, htmx: bool = True):
        """POST a line with a CSRF token fetched earlier (no page load first); return the
        response. Without htmx it is the no-script form, carrying the token as a field."""
        data = {"body": body, "client_id": uuid.uuid4().hex}
        headers = {"X-CSRFToken": token}
        if htmx:
            headers["HX-Request"] = "true"
        else:
            data["csrf_token"] = token
        return self.http.post(
            self.base_url + url, data=data, headers=headers, allow_redirects=False, timeout=30
        )

    def history(self, url: str, **params) -> list[int]:
        """Fetch lines as chat.js does and return their sequence numbers."""
        response = self.http.get(
            self.base_url + url, params=params, headers={"HX-Request": "true"}, timeout=10
        )
        assert response.status_code == 200, response.status_code
        return [int(s) for s in SEQ.findall(response.text)]

    def close(self) -> None:
        """Disconnect the socket."""
        if self.sock is not None:
            self.sock.disconnect()


def start_group(owner: ChatUser, title: str, members: str) -> int:
    """Start a group through the form and return its channel id."""
    token = owner.csrf()
    response = owner.http.post(
        owner.base_url + "/chats/new",
        data={"title": title, "members": members, "csrf_token": token},
        allow_redirects=False,
        timeout=15,
    )
    assert response.status_code == 303, response.text[:500]
    return int(response.headers["Location"].rstrip("/").split("/")[-1])


def wait_for(condition, timeout: float = 10.0, interval: float = 0.05) -> bool:
    """Poll `condition` until it is true or `timeout` passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()


class PrivateRedis:
    """A redis-server this test owns on a fixed port, so it can be stopped and started again."""

    def __init__(self, workdir: Path) -> None:
        self.binary = shutil.which("redis-server")
        if not self.binary:
            missing_service("redis-server is not installed")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.workdir = workdir
        self.process: subprocess.Popen | None = None

    def start(self) -> PrivateRedis:
        """Start (or start again) on the same port."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait_for_port(self.port)
        return self

    def stop(self) -> None:
        """Stop the server (its data goes with it)."""
        stop_process(self.process)
        self.process = None

    def client(self) -> redis.Redis:
        """A plain client for inspecting the server."""
        return redis.Redis.from_url(self.url, decode_responses=True)


@pytest.fixture
def private_redis(tmp_path):
    """A redis-server of this test's own."""
    server = PrivateRedis(tmp_path / "redis").start()
    yield server
    server.stop()
