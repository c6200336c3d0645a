"""Presence through Redis: who watches a room, and no ghosts from a server that died."""

from __future__ import annotations

from app.extensions import socketio
from app.redis_store import redis_key
from app.services import presence
from tests.conftest import _wipe_redis, _wipe_tables, make_app
from tests.support import factories
from tests.support.web import AuthActions


def test_entries_of_a_dead_server_are_ignored_and_swept(redis_url):
    app = make_app(REDIS_URL=redis_url)
    with app.app_context():
        client = app.extensions["encore_redis"]
        room_key = redis_key("presence", "room", 4242)
        try:
            presence.room_went_online(4242, 7, "sid-alive")
            # A process that crashed left its entry behind, and its heartbeat expired.
            client.hset(room_key, mapping={"sid-ghost": "9:deadserver00", "sid-old": "11"})
            assert presence.online_user_ids(4242) == [7]
            assert set(client.hkeys(room_key)) == {"sid-alive"}
            presence.room_went_offline("sid-alive")
            assert presence.online_user_ids(4242) == []
        finally:
            _wipe_redis(app)


def test_presence_events_through_redis(redis_url):
    app = make_app(REDIS_URL=redis_url)
    with app.app_context():
        mina = factories.user("mina", "김민아")
        room_id = factories.room(mina)
    client = app.test_client()
    assert AuthActions(client).login("mina").status_code == 303
    sio = socketio.test_client(app, flask_test_client=client)
    try:
        assert sio.emit("subscribe", {"room_id": room_id}, callback=True)["ok"] is True
        online = [m["args"][0]["online"] for m in sio.get_received() if m["name"] == "presence"]
        assert online == [[mina]]
        with app.app_context():
            assert presence.online_user_ids(room_id) == [mina]
    finally:
        sio.disconnect()
        with app.app_context():
            _wipe_tables()
        _wipe_redis(app)
