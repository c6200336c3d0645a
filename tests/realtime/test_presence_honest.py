"""Honest presence: no flooding, no spoofed goodbyes, no ghosts, and back after Redis restarts."""

from __future__ import annotations

import os
import signal
import time

import pytest
import socketio as socketio_client

from app.extensions import socketio
from app.services import presence
from tests.conftest import REDIS_PREFIX, _wipe_tables, make_app
from tests.realtime.chat_live import wait_for
from tests.support.live_server import LiveServer, WebUser
from tests.support.private_redis import PrivateRedis


def presence_pushes(sio) -> list[list[int]]:
    """The online lists a test client received since the last call."""
    return [m["args"][0]["online"] for m in sio.get_received() if m["name"] == "presence"]


def test_a_subscribe_flood_does_not_flood_the_others(app, show_room):
    room_id, (mina, junho) = show_room("mina", "junho")
    watcher = socketio.test_client(app, flask_test_client=junho.client)
    flooder = socketio.test_client(app, flask_test_client=mina.client)
    try:
        assert watcher.emit("subscribe", {"room_id": room_id}, callback=True)["ok"] is True
        presence_pushes(watcher)
        for _ in range(2000):
            flooder.emit("subscribe", {"room_id": room_id})
        # Give a coalesced push time to arrive before counting them.
        time.sleep(presence.PUSH_BURST / presence.PUSH_PER_SECOND + 1)
        pushes = presence_pushes(watcher)
        assert 1 <= len(pushes) <= presence.PUSH_BURST + 1
        assert pushes[-1] == sorted([mina.id, junho.id])
    finally:
        flooder.disconnect()
        watcher.disconnect()


def test_a_push_delayed_before_a_fresh_start_is_not_sent_after_it(app, show_room):
    """A coalesced push still waiting when the process starts afresh (the test suite does,
    between tests whose rooms reuse ids) must not reach the room's sockets later."""
    room_id, (mina, junho) = show_room("mina", "junho")
    sio = socketio.test_client(app, flask_test_client=mina.client)
    try:
        assert sio.emit("subscribe", {"room_id": room_id}, callback=True)["ok"] is True
        for _ in range(int(presence.PUSH_BURST)):  # comings and goings past the burst
            other = socketio.test_client(app, flask_test_client=junho.client)
            assert other.emit("subscribe", {"room_id": room_id}, callback=True)["ok"] is True
            other.disconnect()
        assert presence._push_scheduled  # the premise: a coalesced push is waiting
        presence_pushes(sio)
        presence.forget_this_process()
        time.sleep(1 / presence.PUSH_PER_SECOND + 0.5)
        assert presence_pushes(sio) == []
    finally:
        sio.disconnect()


def test_a_client_emitting_disconnect_stays_present(app, show_room):
    room_id, (mina, _junho) = show_room("mina", "junho")
    sio = socketio.test_client(app, flask_test_client=mina.client)
    try:
        assert sio.emit("subscribe", {"room_id": room_id}, callback=True)["ok"] is True
        sio.emit("disconnect", "client namespace disconnect")
        sio.emit("connect")
        assert sio.is_connected()
        with app.app_context():
            assert presence.online_user_ids(room_id) == [mina.id]
    finally:
        sio.disconnect()
    with app.app_context():
        assert presence.online_user_ids(room_id) == []


@pytest.mark.realtime
def test_presence_survives_a_redis_restart_and_a_killed_process_vanishes(database, tmp_path):
    redis_server = PrivateRedis().start()
    server = LiveServer(
        database.url,
        redis_url=redis_server.url,
        prefix=REDIS_PREFIX,
        instance_path=str(tmp_path / "instance"),
    ).start()
    watcher_app = make_app(REDIS_URL=redis_server.url)
    sock = socketio_client.Client(reconnection=False)
    try:
        mina = WebUser(server.url).signup("mina", "김민아")
        response = mina.post(
            "/rooms/",
            {"title": "Heartbeat night", "category": "karaoke", "mode": "ranked", "capacity": "5"},
        )
        assert response.status_code == 303, response.text[:500]
        room_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
        sock.connect(
            server.url,
            headers={"Cookie": mina.cookie_header()},
            transports=["websocket"],
            wait_timeout=10,
        )
        assert sock.call("subscribe", {"room_id": room_id}, timeout=10)["ok"] is True

        def online() -> list[int]:
            with watcher_app.app_context():
                return presence.online_user_ids(room_id)

        assert len(online()) == 1
        # Redis restarts empty; the still-connected subscriber is written back by itself.
        redis_server.stop()
        redis_server.start()
        assert online() == []
        assert wait_for(lambda: len(online()) == 1, 20.0), server.log()[-2000:]
        # The process dies without a goodbye: its heartbeat lapses within seconds.
        os.kill(server.process.pid, signal.SIGKILL)
        server.process.wait(timeout=10)
        assert wait_for(lambda: online() == [], presence.SERVER_TTL_SECONDS * 3)
    finally:
        sock.disconnect()
        server.stop()
        redis_server.stop()
        with make_app().app_context():
            _wipe_tables()  # the live server wrote to the shared test database
