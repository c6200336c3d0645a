"""Notifications reach the recipient's socket whichever web process wrote them: two
`python wsgi.py` processes share one database and one Redis."""

from __future__ import annotations

import threading
import uuid

import pytest
import socketio as socketio_client

from tests.conftest import REDIS_PREFIX
from tests.realtime.chat_live import wait_for
from tests.realtime.test_chat_processes import stop_all, two_servers
from tests.support.live_server import WebUser

pytestmark = [pytest.mark.realtime, pytest.mark.redis]


class Listener:
    """A signed-in user's socket on one server, keeping every `notification` it hears."""

    def __init__(self, user: WebUser, server_url: str) -> None:
        self.received: list[dict] = []
        self._lock = threading.Lock()
        self.sock = socketio_client.Client(reconnection=True, reconnection_delay=0.2)
        self.sock.on("notification", self._on_notification)
        self.sock.connect(
            server_url,
            headers={"Cookie": user.cookie_header()},
            transports=["websocket"],
            wait_timeout=10,
        )

    def _on_notification(self, payload: dict) -> None:
        with self._lock:
            self.received.append(payload)

    def payloads(self) -> list[dict]:
        """What arrived so far, in order."""
        with self._lock:
            return list(self.received)


def test_a_follow_on_one_process_reaches_a_socket_on_the_other(database, redis_url, tmp_path):
    servers = two_servers(
        database, redis_url, tmp_path, f"{REDIS_PREFIX}notify-{uuid.uuid4().hex[:6]}:"
    )
    listener = None
    try:
        a, b = servers
        mina = WebUser(a.url).signup("mina", "김민아")
        junho = WebUser(b.url).signup("junho", "박준호")
        seoyeon = WebUser(a.url).signup("seoyeon", "이서연")
        listener = Listener(mina, a.url)  # mina listens on A; junho writes on B

        assert junho.post("/users/mina/follow").status_code == 303
        assert wait_for(lambda: len(listener.payloads()) >= 1, timeout=15), listener.payloads()
        first = listener.payloads()[0]
        assert (first["kind"], first["unread"]) == ("followed", 1)

        assert seoyeon.post("/users/mina/follow").status_code == 303
        assert wait_for(lambda: len(listener.payloads()) >= 2, timeout=15)
        second = listener.payloads()[1]
        # Collapsed: the same row, still one unread, now standing for two people.
        assert second["id"] == first["id"] and second["unread"] == 1

        # The toast the script fetches is served by either process, in mina's words.
        toast = mina.http.get(
            f"{b.url}/notifications/{first['id']}/toast",
            headers={"HX-Request": "true"},
            timeout=10,
        )
        assert toast.status_code == 200
        assert "이서연 and 1 other followed you." in toast.text
        assert len(listener.payloads()) == 2  # each event exactly once
    finally:
        if listener is not None:
            listener.sock.disconnect()
        stop_all(servers)
