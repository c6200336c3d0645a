"""Spectators: live stage and reaction events without a seat, never a score; blind scores."""

from __future__ import annotations

import re

from app.extensions import socketio
from tests.realtime.test_stage_events import connect, events
from tests.support.web import HTMX, post
from tests.web import chat_helpers


def test_a_spectator_gets_stage_and_reaction_events_and_can_react(app, show_room, show_people):
    room_id, (mina, junho) = show_room("mina", "junho")
    (fan,) = show_people("fan")
    sio = connect(app, fan, room_id)
    assert mina.act(room_id, "start").status_code == 303
    assert fan.act(room_id, "react", {"kind": "clap"}).status_code == 303
    assert junho.act(room_id, "react", {"kind": "mirror_ball"}).status_code == 303
    received = events(sio, "stage", "reaction")
    assert [name for name, _ in received] == ["stage", "reaction", "reaction"]
    assert received[2][1]["counts"] == {"clap": 1, "mirror_ball": 1}
    # The stage counts the spectator as watching, not as a member.
    html = junho.client.get(f"/rooms/{room_id}/stage", headers=HTMX).get_data(as_text=True)
    assert "1 watching" in html
    # Spectators never take a turn, nominate or score (HTTP 403, nothing changes).
    for action, data in (("end-turn", {}), ("nominate", {"user_id": str(junho.id)})):
        assert fan.act(room_id, action, data).status_code == 403
    mina.act(room_id, "end-turn")
    assert fan.act(room_id, "score", {"value": "10"}).status_code == 403
    sio.disconnect()


# A two-decimal number standing alone (not part of a version such as 2.0.11).
AVERAGE = re.compile(r"(?<![\w.-])\d{1,2}\.\d{2}(?![\w.])")


def test_no_score_leaks_anywhere_before_scoring_closes(app, show_room, show_people):
    room_id, people = show_room("mina", "junho", "seoyeon", "dohyun")
    mina, junho, seoyeon, dohyun = people
    (fan,) = show_people("fan")
    sockets = [connect(app, person, room_id) for person in (*people, fan)]
    mina.act(room_id, "start")
    mina.act(room_id, "end-turn")
    junho.act(room_id, "score", {"value": "3"})
    seoyeon.act(room_id, "score", {"value": "9"}, htmx=True)
    # Scoring is open with two scores in: read everything everyone can read.
    for person in (*people, fan):
        for url in (
            f"/rooms/{room_id}",
            f"/rooms/{room_id}/stage",
            "/rooms/",
            "/",
        ):
            for headers in ({}, HTMX):
                html = person.client.get(url, headers=headers).get_data(as_text=True)
                # Icons' path data is full of decimals that are not scores.
                html = re.sub(r"<svg\b.*?</svg>", "", html, flags=re.S)
                leak = AVERAGE.search(html)
                assert not leak, (person.username, url, html[leak.start() - 120 : leak.end() + 40])
                assert "6.00" not in html and "scored 3" not in html and "scored 9" not in html
    for sio in sockets:
        for message in sio.get_received():
            text = repr(message["args"])
            assert "score" not in text and "average" not in text and not AVERAGE.search(text)
    # The reveal: dohyun's score closes it, and the average is there for everyone at once.
    dohyun.act(room_id, "score", {"value": "6"})
    html = fan.client.get(f"/rooms/{room_id}").get_data(as_text=True)
    assert "6.00" in html
    for sio in sockets:
        sio.disconnect()


def test_presence_of_a_spectator_socket_is_not_a_member(app, show_room, show_people):
    room_id, (mina, junho) = show_room("mina", "junho")
    (fan,) = show_people("fan")
    sio = socketio.test_client(app, flask_test_client=fan.client)
    assert sio.emit("subscribe", {"room_id": room_id}, callback=True)["ok"] is True
    mina.act(room_id, "start")
    mina.act(room_id, "end-turn")
    # junho's score closes scoring: the spectator is never waited for.
    assert junho.act(room_id, "score", {"value": "7"}).status_code == 303
    html = fan.client.get(f"/rooms/{room_id}/stage", headers=HTMX).get_data(as_text=True)
    assert "7.00" in html
    sio.disconnect()


def test_members_only_chat_stops_spectators_hearing_it_at_once(app):
    host, host_id = chat_helpers.person(app, "host")
    guest, guest_id = chat_helpers.person(app, "guest")
    fan, _fan_id = chat_helpers.person(app, "fan")
    room_id = chat_helpers.room_with(app, host_id, guest_id)
    messages = f"/rooms/{room_id}/messages"
    chat_helpers.say(host, messages, "hello everyone")  # opens the room chat
    with app.app_context():
        from app.services import chat as chat_service

        channel_id = chat_service.room_channel_id(room_id)

    def listening(client):
        sock = socketio.test_client(app, flask_test_client=client)
        assert sock.emit("subscribe", {"channel_id": channel_id}, callback=True)["ok"]
        sock.get_received()
        return sock

    fan_sock, guest_sock = listening(fan), listening(guest)
    chat_helpers.say(host, messages, "still open")
    assert "chat:message" in _names(fan_sock.get_received())
    guest_sock.get_received()

    assert post(host, f"/rooms/{room_id}/chat-access", {"members_only": "1"}).status_code == 303
    chat_helpers.say(host, messages, "members only now")
    # The spectator's open socket hears nothing more; the member's still does.
    assert "chat:message" not in _names(fan_sock.get_received())
    assert "chat:message" in _names(guest_sock.get_received())
    assert fan_sock.emit("subscribe", {"channel_id": channel_id}, callback=True)["ok"] is False

    # Reopened, the chat reaches spectators again from their next subscribe (page load).
    assert post(host, f"/rooms/{room_id}/chat-access", {"members_only": "0"}).status_code == 303
    assert fan_sock.emit("subscribe", {"channel_id": channel_id}, callback=True)["ok"] is True
    fan_sock.get_received()
    chat_helpers.say(host, messages, "open again")
    assert "chat:message" in _names(fan_sock.get_received())
    fan_sock.disconnect()
    guest_sock.disconnect()


def _names(received: list[dict]) -> list[str]:
    return [packet["name"] for packet in received]
