"""Socket actions ride the transaction: sent after commit, dropped on rollback."""

from __future__ import annotations

import json
from dataclasses import asdict

from sqlalchemy import select

from app.extensions import db, socketio
from app.realtime import socket_actions
from tests.web.chat_helpers import person


def test_a_queued_disconnect_waits_for_commit_and_tells_the_socket_first(app):
    mina, mina_id = person(app, "mina")
    sock = socketio.test_client(app, flask_test_client=mina)
    sock.get_received()
    with app.test_request_context():
        db.session.execute(select(1))  # a transaction to roll back
        socket_actions.queue(socket_actions.disconnect_user(mina_id, notice="banned"))
        assert socket_actions.pending_actions()
        db.session.rollback()
        assert sock.is_connected()
        assert socket_actions.pending_actions() == []

        db.session.execute(select(1))
        socket_actions.queue(socket_actions.disconnect_user(mina_id, notice="banned"))
        assert sock.is_connected()  # nothing happens before the commit
        db.session.commit()
    assert not sock.is_connected()


def test_leave_room_takes_every_socket_of_the_person_out(app):
    mina, mina_id = person(app, "mina")
    first = socketio.test_client(app, flask_test_client=mina)
    second = socketio.test_client(app, flask_test_client=mina)
    for sock in (first, second):
        assert sock.emit("subscribe", {"leaderboard": True}, callback=True)["ok"]
    assert len(list(socketio.server.manager.get_participants("/", "leaderboard"))) == 2
    with app.test_request_context():
        socket_actions.send(socket_actions.leave_room(mina_id, "leaderboard"))
    assert list(socketio.server.manager.get_participants("/", "leaderboard")) == []
    first.disconnect()
    second.disconnect()


def test_leave_except_keeps_the_named_people_and_travels_whole_between_processes(app):
    mina, mina_id = person(app, "mina")
    fan, _fan_id = person(app, "fan")
    socks = [socketio.test_client(app, flask_test_client=client) for client in (mina, fan)]
    for sock in socks:
        assert sock.emit("subscribe", {"leaderboard": True}, callback=True)["ok"]
    action = socket_actions.leave_room_except("leaderboard", [mina_id])
    # What another process decodes from Redis is the same action, keep list included.
    assert socket_actions._decode(json.dumps(asdict(action))) == action
    with app.test_request_context():
        socket_actions.send(action)
    left = list(socketio.server.manager.get_participants("/", "leaderboard"))
    assert len(left) == 1
    assert f"user:{mina_id}" in socketio.server.rooms(left[0][0], namespace="/")
    for sock in socks:
        sock.disconnect()
