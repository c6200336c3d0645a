"""Shedding on the line for the database: while every request slot of a real server is held
by slow requests, a post answers 429 with Retry-After at once and stores nothing, a page
waits its turn, and a page that waits too long answers 503; posts go through again after."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import requests
from sqlalchemy import func, select, text

from app.extensions import db
from app.models import Message
from tests.conftest import REDIS_PREFIX, _wipe_tables, make_app
from tests.realtime.chat_live import ChatUser, start_group
from tests.support.live_server import LiveServer

pytestmark = [pytest.mark.realtime, pytest.mark.postgres]

HOLD_SECONDS = 5  # the most /_bench/sleep holds a connection


def _stored_lines() -> int:
    application = make_app()
    with application.app_context():
        return db.session.scalar(select(func.count(Message.id)))


def _sleeping_queries() -> int:
    """How many `/_bench/sleep` requests are inside PostgreSQL right now."""
    application = make_app()
    with application.app_context():
        return db.session.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE state = 'active' AND query LIKE 'SELECT pg_sleep%'"
            )
        )


@contextmanager
def _every_slot_held(server: LiveServer, slots: int) -> Iterator[list[threading.Thread]]:
    """Hold each of the server's request slots with a slow read until the block ends."""
    holders = [
        threading.Thread(
            target=requests.get,
            args=(f"{server.url}/_bench/sleep?seconds={HOLD_SECONDS}",),
            kwargs={"timeout": 30},
        )
        for _ in range(slots)
    ]
    for holder in holders:
        holder.start()
    deadline = time.monotonic() + 10
    while _sleeping_queries() < slots:
        assert time.monotonic() < deadline, server.log()[-2000:]
        time.sleep(0.05)
    try:
        yield holders
    finally:
        for holder in holders:
            holder.join()


def _start(database, tmp_path, **env: str) -> LiveServer:
    if not database.is_postgres:
        pytest.skip("holds connections in pg_sleep: run with TEST_DATABASE_URL=postgresql://…")
    return LiveServer(
        database.url,
        redis_url=None,
        prefix=f"{REDIS_PREFIX}queue-{uuid.uuid4().hex[:6]}:",
        instance_path=str(tmp_path / "instance"),
        extra_env={"ENCORE_BENCH_ROUTES": "1", **env},
    ).start()


def _stop(server: LiveServer) -> None:
    server.stop()
    application = make_app()
    with application.app_context():
        _wipe_tables()


def test_a_post_is_shed_while_every_slot_is_taken_and_a_page_waits_its_turn(database, tmp_path):
    server = _start(database, tmp_path, ENCORE_REQUEST_SLOTS="2", ENCORE_SHED_QUEUE_SECONDS="0.5")
    try:
        mina = ChatUser(server.url).signup("mina")
        ChatUser(server.url).signup("junho")
        group = start_group(mina, "Full house", "junho")
        url = f"/chats/{group}/messages"
        token = mina.csrf()
        before = _stored_lines()
        page: dict[str, requests.Response] = {}

        with _every_slot_held(server, 2) as holders:
            shed = mina.send_line(url, "behind the line", token)
            # The answer came while both slots were still held: the post did not wait.
            assert all(holder.is_alive() for holder in holders)
            full_page = mina.send_line(url, "no script", token, htmx=False)
            reader = threading.Thread(
                target=lambda: page.update(home=mina.http.get(server.url + "/", timeout=30))
            )
            reader.start()
            assert all(holder.is_alive() for holder in holders)
        reader.join()

        assert shed.status_code == 429, (shed.status_code, server.log()[-2000:])
        assert int(shed.headers["Retry-After"]) >= 1
        assert shed.headers["HX-Retarget"] == "#toasts"
        assert full_page.status_code == 429
        assert int(full_page.headers["Retry-After"]) >= 1
        assert "<html" in full_page.text  # the busy page, drawn without asking the database
        assert _stored_lines() == before  # nothing was written

        assert page["home"].status_code == 200  # the page waited for a slot instead
        assert mina.say(url, "and now it goes through") > 0
        assert _stored_lines() == before + 1
    finally:
        _stop(server)


def test_a_page_that_waits_too_long_for_a_slot_answers_503(database, tmp_path):
    server = _start(
        database,
        tmp_path,
        ENCORE_REQUEST_SLOTS="1",
        ENCORE_SHED_QUEUE_SECONDS="0.5",
        ENCORE_READ_QUEUE_SECONDS="0.5",
    )
    try:
        requests.get(server.url + "/", timeout=30)  # compile the page's templates first
        with _every_slot_held(server, 1) as holders:
            busy = requests.get(server.url + "/", timeout=30)
            assert all(holder.is_alive() for holder in holders)
        assert busy.status_code == 503
        assert int(busy.headers["Retry-After"]) >= 1
        assert requests.get(server.url + "/", timeout=30).status_code == 200
    finally:
        _stop(server)
