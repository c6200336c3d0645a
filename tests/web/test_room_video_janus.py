"""The media-server topology against a real Janus (the Debian package, its admin API).

A show going live creates its VideoRoom; the credentials endpoint gives members and
spectators a token Janus accepts and nobody else anything; the show's end destroys the
room and its tokens; a Janus that is down never stops the show.
"""

from __future__ import annotations

import json
import secrets
import urllib.request

import pytest

from app.extensions import db, socketio
from app.models import Room
from app.security import csp_for
from app.services.janus_rooms import publisher_id
from tests.conftest import _wipe_redis, _wipe_tables, make_app
from tests.support.janus_server import JanusServer
from tests.support.services import free_port
from tests.support.web import post


@pytest.fixture(scope="module")
def janus():
    """Janus from the Debian package with a config folder of its own."""
    server = JanusServer().start()
    yield server
    server.stop()


def _app(**settings):
    application = make_app(**settings)
    yield application
    with application.app_context():
        _wipe_tables()
    _wipe_redis(application)
    from app.services import presence

    presence.forget_this_process()


@pytest.fixture
def app(request, janus):
    """The app pointed at the module's Janus, or (param "down") at a Janus that is down."""
    if getattr(request, "param", None) == "down":
        dead = f"http://127.0.0.1:{free_port()}"  # nothing listens there
        yield from _app(
            JANUS_URL=dead + "/janus",
            JANUS_ADMIN_URL=dead + "/admin",
            JANUS_ADMIN_SECRET="x",
            JANUS_ROOM_ADMIN_KEY="y",
            JANUS_TIMEOUT_SECONDS=1,
        )
        return
    yield from _app(**janus.settings())


def admin(janus: JanusServer, request: dict) -> dict:
    """One admin-API request, as Encore sends them."""
    body = dict(request, transaction=secrets.token_hex(6), admin_secret=janus.admin_secret)
    http = urllib.request.Request(
        janus.admin_url,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(http, timeout=10) as response:
        return json.load(response)


def room_exists(janus: JanusServer, room: int) -> bool:
    answer = admin(
        janus,
        {
            "janus": "message_plugin",
            "plugin": "janus.plugin.videoroom",
            "request": {"request": "exists", "room": room, "admin_key": janus.room_admin_key},
        },
    )
    return bool(answer["response"]["exists"])


def tokens(janus: JanusServer) -> set[str]:
    return {t["token"] for t in admin(janus, {"janus": "list_tokens"})["data"]["tokens"]}


def janus_row(app, room_id: int) -> tuple[int | None, str | None, str | None]:
    with app.app_context():
        room = db.session.get(Room, room_id)
        return room.janus_room_id, room.janus_secret, room.janus_pin


def credentials(person, room_id: int):
    return post(person.client, f"/rooms/{room_id}/video/janus", htmx=True)


def test_a_live_show_gets_a_videoroom_that_its_end_destroys(app, janus, show_room):
    room_id, (mina, junho) = show_room("mina", "junho")
    assert janus_row(app, room_id) == (None, None, None)
    assert credentials(junho, room_id).status_code == 403  # nothing before the show
    assert mina.act(room_id, "start").status_code == 303
    janus_id, secret, pin = janus_row(app, room_id)
    assert janus_id and len(secret) >= 32 and len(pin) >= 24
    assert room_exists(janus, janus_id)

    state = junho.client.get(f"/rooms/{room_id}/video").get_json()
    assert state["topology"] == "janus"
    response = credentials(junho, room_id)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    given = response.get_json()
    assert given["room"] == janus_id and given["pin"] == pin and given["publishers"] == 1
    assert given["server"] == janus.url and given["token"] in tokens(janus)

    assert mina.act(room_id, "finish").status_code == 303
    assert janus_row(app, room_id) == (None, None, None)
    assert not room_exists(janus, janus_id)
    assert given["token"] not in tokens(janus)
    assert credentials(junho, room_id).status_code == 403


def test_credentials_name_my_feed_id_and_only_the_performers_feed(app, janus, show_room):
    room_id, (mina, junho) = show_room("mina", "junho")
    assert mina.act(room_id, "start").status_code == 303  # the host goes on air first
    _, secret, _ = janus_row(app, room_id)
    performer_feed = publisher_id(secret, mina.id)
    assert 0 < performer_feed < 2**53 and performer_feed != publisher_id(secret, junho.id)

    # The performer publishes under a feed id derived from the room secret; a viewer gets
    # no feed id of its own, and both are told to watch the performer's feed only.
    mine = credentials(mina, room_id).get_json()
    theirs = credentials(junho, room_id).get_json()
    assert mine["publisher_id"] == performer_feed
    assert theirs["publisher_id"] == 0
    assert mine["feeds"] == theirs["feeds"] == {str(mina.id): performer_feed}

    # Off air (scoring), nobody may send: no feed is named.
    assert mina.act(room_id, "end-turn").status_code == 303
    assert credentials(junho, room_id).get_json()["feeds"] == {}


def test_everyone_rooms_allow_six_publishers(app, janus, show_people):
    mina, junho = show_people("mina", "junho")
    room_id = mina.create_room(video="everyone", capacity=6)
    assert junho.act(room_id, "join").status_code == 303
    assert mina.act(room_id, "start").status_code == 303
    given = credentials(junho, room_id).get_json()
    assert given["publishers"] == 6
    # Every member may send, each under their own feed id.
    _, secret, _ = janus_row(app, room_id)
    assert given["publisher_id"] == publisher_id(secret, junho.id)
    assert given["feeds"] == {str(p.id): publisher_id(secret, p.id) for p in (mina, junho)}


def test_only_people_in_the_show_get_credentials(app, janus, show_room, show_people, client):
    room_id, (mina, _junho) = show_room("mina", "junho")
    (stranger,) = show_people("stranger")
    assert mina.act(room_id, "start").status_code == 303
    before = tokens(janus)
    # A logged-in outsider who is not watching the show gets nothing, and no token is made.
    refused = credentials(stranger, room_id)
    assert refused.status_code == 403
    assert "Only people in this live show" in refused.get_data(as_text=True)
    assert tokens(janus) == before
    # No CSRF token: refused before anything happens.
    assert mina.client.post(f"/rooms/{room_id}/video/janus").status_code == 400
    assert tokens(janus) == before
    # Logged out: sent to log in.
    assert client.post(f"/rooms/{room_id}/video/janus").status_code in (302, 400, 401)
    assert credentials(mina, 999999).status_code == 403


def test_a_spectator_watching_the_show_gets_credentials(app, janus, show_room, show_people):
    room_id, (mina, _junho) = show_room("mina", "junho")
    (watcher,) = show_people("watcher")
    assert mina.act(room_id, "start").status_code == 303
    assert credentials(watcher, room_id).status_code == 403
    # Watching with a subscribed socket and no seat: a spectator, who may subscribe in Janus.
    sio = socketio.test_client(app, flask_test_client=watcher.client)
    assert sio.emit("subscribe", {"room_id": room_id}, callback=True)["ok"] is True
    answer = credentials(watcher, room_id)
    assert answer.status_code == 200
    data = answer.get_json()
    assert data["room"] == janus_row(app, room_id)[0] and data["token"] in tokens(janus)
    assert f".{watcher.id}." in data["token"]
    state = watcher.client.get(f"/rooms/{room_id}/video").get_json()
    assert state["spectator"] is True and watcher.id not in state["senders"]
    sio.disconnect()
    # Gone from the room: no longer a spectator, no more tokens.
    assert credentials(watcher, room_id).status_code == 403


def test_a_janus_that_forgot_the_room_gets_it_again(app, janus, show_room):
    room_id, (mina, junho) = show_room("mina", "junho")
    assert mina.act(room_id, "start").status_code == 303
    janus_id, secret, _pin = janus_row(app, room_id)
    admin(
        janus,
        {
            "janus": "message_plugin",
            "plugin": "janus.plugin.videoroom",
            "request": {
                "request": "destroy",
                "room": janus_id,
                "secret": secret,
                "admin_key": janus.room_admin_key,
            },
        },
    )
    assert not room_exists(janus, janus_id)
    assert credentials(junho, room_id).status_code == 200
    assert room_exists(janus, janus_id)


@pytest.mark.parametrize("app", ["down"], indirect=True)
def test_janus_down_the_show_goes_on(app, show_room):
    room_id, (mina, junho) = show_room("mina", "junho")
    assert mina.act(room_id, "start").status_code == 303
    # The room row has its ids; Janus never heard of them, and the show does not care.
    assert janus_row(app, room_id)[0] is not None
    assert mina.act(room_id, "end-turn").status_code == 303
    response = credentials(junho, room_id)
    assert response.status_code == 503
    assert "Video is unavailable right now" in response.get_data(as_text=True)
    assert junho.client.get(f"/rooms/{room_id}/video").status_code == 200
    assert mina.act(room_id, "finish").status_code == 303
    assert janus_row(app, room_id) == (None, None, None)


def test_the_csp_lets_pages_reach_janus_only_when_configured(janus):
    application = make_app(**janus.settings())
    assert f"connect-src 'self' http://127.0.0.1:{janus.port}" in csp_for(application)
    assert "connect-src 'self';" in csp_for(make_app())
