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
            f"/rooms/{room_id}/frames/stage",
            f"/rooms/{room_id}/frames/chat",
            f"/rooms/{room_id}/messages",
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


def test_a_spectator_socket_cannot_score_nominate_or_end_a_turn(app, show_room, show_people):
    # The socket carries no show actions (every action is an HTTP form post): an event that
    # tries one is refused, acknowledged with nothing, and changes nothing.
    room_id, (mina, _junho) = show_room("mina", "junho")
    (fan,) = show_people("fan")
    sio = connect(app, fan, room_id)
    mina.act(room_id, "start")
    before = fan.client.get(f"/rooms/{room_id}/stage", headers=HTMX).get_data(as_text=True)
    for name, payload in (
        ("end-turn", {"room_id": room_id}),
        ("nominate", {"room_id": room_id, "user_id": fan.id}),
        ("score", {"room_id": room_id, "value": 10}),
    ):
        assert not sio.emit(name, payload, callback=True)
    assert fan.act(room_id, "end-turn").status_code == 403
    after = fan.client.get(f"/rooms/{room_id}/stage", headers=HTMX).get_data(as_text=True)
    assert "On air" in after and 'data-version="' in after
    version = re.search(r'data-version="(\d+)"', before).group(1)
    assert f'data-version="{version}"' in after  # nothing moved the stage
    sio.disconnect()


def test_a_show_still_finishes_when_a_browser_closes_mid_scoring(app, show_room, room_state):
    # Presence by socket only (nobody loads the page here): dohyun's socket closes while
    # the room scores, and the others' scores close it without him, to the results.
    room_id, (mina, junho, dohyun) = show_room("mina", "junho", "dohyun")
    sockets = {person.username: connect(app, person, room_id) for person in (mina, junho, dohyun)}
    _forget_page_loads(app, room_id)
    mina.act(room_id, "start")
    mina.act(room_id, "nominate", {"user_id": str(junho.id)})
    mina.act(room_id, "end-turn")
    stage = junho.client.get(f"/rooms/{room_id}/stage", headers=HTMX).get_data(as_text=True)
    assert "0 of 2 scores in" in stage  # with his socket open, dohyun is waited for
    _forget_page_loads(app, room_id)
    sockets["dohyun"].disconnect()  # the browser closes
    assert junho.act(room_id, "score", {"value": "8"}).status_code == 303
    state = room_state(room_id)
    assert str(state["performances"][0][3]) == "8.00"  # closed without waiting for dohyun
    # junho is on air; the show runs to its end with the one scorer present each time.
    _forget_page_loads(app, room_id)
    junho.act(room_id, "end-turn")
    assert mina.act(room_id, "score", {"value": "6"}).status_code == 303
    mina.act(room_id, "finish")
    state = room_state(room_id)
    assert state["status"].value == "finished"
    assert [str(p[3]) for p in state["performances"]] == ["8.00", "6.00"]
    html = mina.client.get(f"/rooms/{room_id}").get_data(as_text=True)
    assert "8.00" in html and "6.00" in html
    for name in ("mina", "junho"):
        sockets[name].disconnect()


def _forget_page_loads(app, room_id: int) -> None:
    """Clear the members' page-load presence, so only live sockets say who is here."""
    from sqlalchemy import update

    from app.extensions import db
    from app.models import RoomMember

    with app.app_context():
        db.session.execute(
            update(RoomMember).where(RoomMember.room_id == room_id).values(last_seen_at=None)
        )
        db.session.commit()
