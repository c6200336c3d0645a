"""Leaving a lobby takes the leaver's open sockets out of a members-only room chat.

Second edition (rule 10): a leaver may stay on as a spectator, so they keep the stage,
and they keep the chat too unless the host made it members-only.
"""

from __future__ import annotations

from app.extensions import socketio
from tests.support.web import post
from tests.web.chat_helpers import person, room_with, say


def _names(received: list[dict]) -> list[str]:
    return [packet["name"] for packet in received]


def test_leaver_stops_hearing_the_room_at_once(app):
    host, host_id = person(app, "host")
    guest, guest_id = person(app, "guest")
    room_id = room_with(app, host_id, guest_id)

    say(host, f"/rooms/{room_id}/messages", "hello before")  # creates the room chat
    with app.app_context():
        from app.services import chat as chat_service

        channel_id = chat_service.room_channel_id(room_id)

    sock = socketio.test_client(app, flask_test_client=guest)
    assert sock.emit("subscribe", {"room_id": room_id}, callback=True)["ok"]
    assert sock.emit("subscribe", {"channel_id": channel_id}, callback=True)["ok"]
    sock.get_received()
    assert post(host, f"/rooms/{room_id}/chat-access", {"members_only": "1"}).status_code == 303
    sock.get_received()

    assert post(guest, f"/rooms/{room_id}/leave").status_code == 303
    sock.get_received()
    say(host, f"/rooms/{room_id}/messages", "after you left")
    received = _names(sock.get_received())
    assert "chat:message" not in received
    # They cannot come back into the chat by subscribing again; the stage they may watch.
    assert sock.emit("subscribe", {"channel_id": channel_id}, callback=True)["ok"] is False
    assert sock.emit("subscribe", {"room_id": room_id}, callback=True)["ok"] is True
    sock.disconnect()
