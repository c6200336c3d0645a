"""Redis away: every page still answers below 500, logins and posts work, /healthz says why.

The test owns its redis-server (never the shared one): it stops it mid-test, walks every
GET route in docs/urls.md, logs in, follows, reacts and subscribes, then starts Redis again
and watches presence and the rate limiter come back without a restart.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.extensions import socketio
from app.redis_store import redis_key
from app.services import presence
from tests.conftest import make_app
from tests.realtime.chat_live import wait_for
from tests.support import factories
from tests.support.private_redis import PrivateRedis
from tests.support.web import AuthActions, post

pytestmark = pytest.mark.redis

DOC = Path(__file__).resolve().parents[2] / "docs" / "urls.md"
ROW = re.compile(r"^\| ([A-Z,]+) \| `([^`]+)` \| `([^`]+)` \|", re.MULTILINE)


@pytest.fixture
def private_redis():
    """A redis-server this test alone stops and starts."""
    server = PrivateRedis().start()
    yield server
    server.stop()


NOTICE = 'data-degraded="redis"'


def _is_full_page(response) -> bool:
    """A whole HTML page (not a redirect, fragment, image or JSON) that people read."""
    return (
        (response.status_code < 300 or response.status_code >= 400)
        and response.mimetype == "text/html"
        and "<main" in response.text
    )


def _documented_pages(ids: dict[str, str]) -> list[str]:
    """Every GET path in docs/urls.md, its placeholders filled with real ids."""
    pages = []
    for methods, path, _endpoint in ROW.findall(DOC.read_text()):
        if "GET" in methods.split(","):
            pages.append(re.sub(r"<(?:\w+:)?(\w+)>", lambda m: ids.get(m.group(1), "x"), path))
    return pages


def test_every_page_answers_while_redis_is_away_and_presence_returns(app, private_redis):
    outage_app = make_app(REDIS_URL=private_redis.url)
    with outage_app.app_context():
        mina = factories.user("mina", "김민아")
        junho = factories.user("junho")
        room_id = factories.room(mina, member_ids=(junho,))
    mina_client = outage_app.test_client()
    assert AuthActions(mina_client).login("mina").status_code == 303
    channel = post(mina_client, "/chats/direct", {"username": "junho"})
    channel_id = channel.headers["Location"].rstrip("/").split("/")[-1]
    sio = socketio.test_client(outage_app, flask_test_client=mina_client)
    try:
        assert sio.emit("subscribe", {"room_id": room_id}, callback=True)["ok"] is True

        private_redis.stop()
        health = mina_client.get("/healthz").get_json()
        assert health["status"] == "degraded"
        assert set(health["degraded"]) == {"presence", "rate_limits", "realtime"}

        ids = {
            "room_id": str(room_id),
            "channel_id": channel_id,
            "username": "junho",
            "provider": "kakao",
            "filename": "none.png",
        }
        anonymous = outage_app.test_client()
        failures, silent = [], []
        for page in _documented_pages(ids):
            for client in (anonymous, mina_client):
                response = client.get(page)
                if response.status_code >= 500:
                    failures.append((page, response.status_code))
                if _is_full_page(response) and NOTICE not in response.text:
                    silent.append((page, response.status_code))
        assert failures == []
        # Every page a person sees says, in plain words, that live features are limited.
        assert silent == []
        korean = outage_app.test_client().get("/", headers={"Accept-Language": "ko"}).text
        assert "실시간 기능" in korean

        # Logging in with the right password, following and reacting all still work.
        junho_client = outage_app.test_client()
        assert AuthActions(junho_client).login("junho").status_code == 303
        assert post(mina_client, "/users/junho/follow").status_code == 303
        assert post(junho_client, f"/rooms/{room_id}/react", {"kind": "clap"}).status_code < 500
        # A subscribe still gets its acknowledgement; presence shows this process's view.
        assert sio.emit("subscribe", {"room_id": room_id}, callback=True)["ok"] is True
        with outage_app.app_context():
            assert presence.online_user_ids(room_id) == [mina]

        # Redis comes back empty: the heartbeat writes mina's connection back by itself.
        private_redis.start()
        client = outage_app.extensions["encore_redis"]
        with outage_app.app_context():
            room_key = redis_key("presence", "room", room_id)
        assert wait_for(lambda: client.hlen(room_key) == 1, 20.0)
        with outage_app.app_context():
            assert presence.online_user_ids(room_id) == [mina]
        assert mina_client.get("/healthz").get_json()["redis"] == "ok"
        # The notice goes away by itself once Redis answers, with no request touching it.
        assert wait_for(lambda: NOTICE not in anonymous.get("/").text, 20.0)
        assert NOTICE not in mina_client.get(f"/rooms/{room_id}").text
    finally:
        sio.disconnect()
