"""Shedding on time: while a real server's event loop is held busy, a post answers 429 with
Retry-After instead of queueing, stores nothing, and posts are taken again once it is free."""

from __future__ import annotations

import threading
import time
import uuid

import pytest
import requests
from sqlalchemy import func, select

from app.extensions import db
from app.models import Message
from tests.conftest import REDIS_PREFIX, _wipe_tables, make_app
from tests.realtime.chat_live import ChatUser, start_group
from tests.support.live_server import LiveServer

pytestmark = [pytest.mark.realtime]


def _stored_lines() -> int:
    application = make_app()
    with application.app_context():
        return db.session.scalar(select(func.count(Message.id)))


def _signup(server: LiveServer, username: str) -> ChatUser:
    """Sign up, waiting out a shed: hashing a password holds the loop on a loaded machine."""
    user = ChatUser(server.url)
    for _attempt in range(20):
        response = user.post(
            "/auth/signup",
            {"username": username, "display_name": username, "password": "correct horse"},
        )
        if response.status_code != 429:
            break
        time.sleep(int(response.headers["Retry-After"]))
    assert response.status_code == 303, response.status_code
    return user


def test_a_post_behind_a_busy_event_loop_is_shed_with_retry_after(database, tmp_path):
    server = LiveServer(
        database.url,
        redis_url=None,
        prefix=f"{REDIS_PREFIX}shed-{uuid.uuid4().hex[:6]}:",
        instance_path=str(tmp_path / "instance"),
        extra_env={"ENCORE_BENCH_ROUTES": "1", "ENCORE_SHED_LAG_SECONDS": "1.0"},
    ).start()
    try:
        for path in ("/", "/auth/signup", "/auth/login"):  # compile templates before timing
            requests.get(server.url + path, timeout=30)
        time.sleep(1.5)
        mina = _signup(server, "mina")
        _signup(server, "junho")
        time.sleep(1.5)
        group = start_group(mina, "Busy night", "junho")
        url = f"/chats/{group}/messages"
        token = mina.csrf()
        before = _stored_lines()

        holder = threading.Thread(
            target=requests.get,
            args=(server.url + "/_bench/busy?seconds=3",),
            kwargs={"timeout": 30},
        )
        holder.start()
        time.sleep(0.8)  # the busy request has the loop now
        shed = mina.send_line(url, "behind the queue", token)
        holder.join()
        assert shed.status_code == 429, (shed.status_code, server.log()[-2000:])
        assert int(shed.headers["Retry-After"]) >= 1
        assert _stored_lines() == before  # nothing was written

        time.sleep(1.5)  # the stall is over and the backlog has drained
        assert mina.say(url, "and now it goes through") > 0
        assert _stored_lines() == before + 1
    finally:
        server.stop()
        application = make_app()
        with application.app_context():
            _wipe_tables()
