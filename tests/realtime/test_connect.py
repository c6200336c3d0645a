"""Socket.IO connections: only logged-in sessions, identity from the session."""

from __future__ import annotations

import pytest
import socketio as socketio_client

from app.extensions import socketio
from tests.support.live_server import WebUser


def test_anonymous_connection_is_refused(app, client):
    sock = socketio.test_client(app, flask_test_client=client)
    assert not sock.is_connected()


def test_logged_in_connection_is_accepted(app, client, auth, make_user):
    make_user("mina")
    auth.login("mina")
    sock = socketio.test_client(app, flask_test_client=client)
    assert sock.is_connected()
    sock.disconnect()


def test_connection_ends_being_accepted_after_logout(app, client, auth, make_user):
    make_user("mina")
    auth.login("mina")
    auth.logout()
    sock = socketio.test_client(app, flask_test_client=client)
    assert not sock.is_connected()


@pytest.mark.parametrize(
    "payload", [None, "room:1", {}, {"room_id": "1"}, {"room_id": True}, {"channel_id": -3}]
)
def test_malformed_subscribe_is_refused(app, client, auth, make_user, payload):
    make_user("mina")
    auth.login("mina")
    sock = socketio.test_client(app, flask_test_client=client)
    ack = sock.emit("subscribe", payload, callback=True)
    assert ack["ok"] is False
    sock.disconnect()


def test_subscribe_to_a_room_one_may_not_watch_is_refused(app, client, auth, make_user):
    from tests.support import factories

    with app.app_context():
        host = factories.user("host")
        open_room = factories.room(host)
        closed_room = factories.room(host, status="cancelled")
    make_user("mina")
    auth.login("mina")
    sock = socketio.test_client(app, flask_test_client=client)
    # Show rule 10: anyone logged in may watch an open room without a seat...
    assert sock.emit("subscribe", {"room_id": open_room}, callback=True)["ok"] is True
    # ...but not a cancelled one, nor a room that does not exist.
    for room_id in (closed_room, 999999):
        assert sock.emit("subscribe", {"room_id": room_id}, callback=True) == {
            "ok": False,
            "error": "not_found",
        }
    assert sock.emit("subscribe", {"channel_id": 12345}, callback=True)["ok"] is False
    sock.disconnect()


@pytest.mark.realtime
def test_real_server_refuses_anonymous_and_accepts_a_session(live_server):
    anonymous = socketio_client.Client(reconnection=False)
    with pytest.raises(socketio_client.exceptions.ConnectionError):
        anonymous.connect(live_server.url, transports=["websocket"], wait_timeout=5)

    user = WebUser(live_server.url).signup("mina", "김민아")
    sock = socketio_client.Client(reconnection=False)
    sock.connect(
        live_server.url,
        headers={"Cookie": user.cookie_header()},
        transports=["websocket"],
        wait_timeout=5,
    )
    assert sock.connected
    sock.disconnect()


def test_logout_closes_the_sockets_only_after_responding(app, client, auth, make_user):
    make_user("mina")
    auth.login("mina")
    sock = socketio.test_client(app, flask_test_client=client)
    sock.get_received()
    response = auth.logout()
    assert response.status_code == 303
    # Nothing happens before the browser has the cleared cookie...
    assert sock.is_connected()
    assert [p for p in sock.get_received() if p["name"] == "notice"] == []
    response.close()  # what a WSGI server does once the response is sent
    # ...then the server closes the socket itself (app/realtime/socket_actions.py).
    assert not sock.is_connected()
