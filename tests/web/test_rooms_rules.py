"""Rooms: the door (login, CSRF, unknown rooms), outsiders, joining, leaving and starting — the
right 4xx, and nothing changes when a rule says no."""

from __future__ import annotations

import pytest

from app.models import RoomStatus
from tests.support.web import HTMX, csrf_token

ACTIONS = (
    ("join", {}),
    ("leave", {}),
    ("start", {}),
    ("end-turn", {}),
    ("nominate", {"user_id": "1"}),
    ("score", {"value": "7"}),
    ("close-scoring", {}),
    ("react", {"kind": "clap"}),
    ("finish", {}),
)


# --- the door: login, CSRF, unknown rooms -------------------------------------------------


@pytest.mark.parametrize(("action", "data"), ACTIONS)
def test_anonymous_posts_go_to_login(client, show_room, room_state, action, data):
    room_id, _ = show_room("mina", "junho")
    before = room_state(room_id)
    token = csrf_token(client)
    response = client.post(f"/rooms/{room_id}/{action}", data={**data, "csrf_token": token})
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]
    assert room_state(room_id) == before


@pytest.mark.parametrize(("action", "data"), ACTIONS)
def test_anonymous_htmx_posts_are_sent_to_login(client, show_room, action, data):
    room_id, _ = show_room("mina", "junho")
    token = csrf_token(client)
    response = client.post(
        f"/rooms/{room_id}/{action}", data=data, headers={**HTMX, "X-CSRFToken": token}
    )
    assert response.status_code == 401
    assert "/auth/login" in response.headers["HX-Redirect"]


@pytest.mark.parametrize(("action", "data"), ACTIONS)
def test_posts_without_csrf_token_are_refused(live_room, room_state, action, data):
    room_id, (mina, junho, *_) = live_room
    before = room_state(room_id)
    for person in (mina, junho):
        response = person.client.post(f"/rooms/{room_id}/{action}", data=data)
        assert response.status_code == 400
        assert "security token" in response.get_data(as_text=True)
    assert room_state(room_id) == before


def test_create_without_csrf_token_is_refused(show_people, app):
    (mina,) = show_people("mina")
    response = mina.client.post(
        "/rooms/",
        data={"title": "x", "category": "karaoke", "mode": "ranked", "capacity": "5"},
    )
    assert response.status_code == 400
    assert mina.client.get("/rooms/").get_data(as_text=True).count("room-card ") == 0


def test_create_needs_login(client):
    token = csrf_token(client)
    response = client.post("/rooms/", data={"title": "x", "csrf_token": token})
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    assert "/auth/login" in client.get("/rooms/new").headers["Location"]


@pytest.mark.parametrize(("action", "data"), ACTIONS)
def test_unknown_room_is_404(show_people, action, data):
    (mina,) = show_people("mina")
    assert mina.act(999, action, data).status_code == 404


def test_unknown_room_pages_are_404(client):
    assert client.get("/rooms/999").status_code == 404
    assert client.get("/rooms/999/stage").status_code == 404


# --- acting in a room you are not in ------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "data"),
    # Second edition (rule 10): spectators may react, so `react` is no longer refused.
    [a for a in ACTIONS if a[0] not in ("join", "react")],
)
def test_outsiders_cannot_act_in_a_live_room(show_people, live_room, room_state, action, data):
    room_id, _ = live_room
    (outsider,) = show_people("outsider")
    before = room_state(room_id)
    response = outsider.act(room_id, action, data)
    assert response.status_code == 403
    assert room_state(room_id) == before


def test_outsider_htmx_error_is_a_toast(show_people, live_room):
    room_id, _ = live_room
    (outsider,) = show_people("outsider")
    response = outsider.act(room_id, "score", {"value": "7"}, htmx=True)
    assert response.status_code == 403
    assert response.headers["HX-Retarget"] == "#toasts"
    assert "Only members" in response.get_data(as_text=True)


def test_outsiders_see_the_stage_without_controls(show_people, scoring_room):
    room_id, _ = scoring_room
    (outsider,) = show_people("outsider")
    html = outsider.client.get(f"/rooms/{room_id}/stage", headers=HTMX).get_data(as_text=True)
    assert 'id="stage"' in html
    assert "/score" not in html and "/nominate" not in html and "/finish" not in html
    # Second edition (rule 10): a logged-in spectator subscribes to the live stage.
    page = outsider.client.get(f"/rooms/{room_id}").get_data(as_text=True)
    assert f'data-subscribe="room:{room_id}"' in page


# --- joining and leaving -------------------------------------------------------------------


def test_joining_a_full_room_is_409(show_room, show_people, room_state):
    room_id, _ = show_room("mina", "junho", capacity=2)
    (late,) = show_people("late")
    before = room_state(room_id)
    response = late.act(room_id, "join")
    assert response.status_code == 409
    assert "full" in response.get_data(as_text=True)
    assert room_state(room_id) == before


def test_joining_a_started_room_is_409(live_room, show_people, room_state):
    room_id, _ = live_room
    (late,) = show_people("late")
    before = room_state(room_id)
    response = late.act(room_id, "join")
    assert response.status_code == 409
    assert "already started" in response.get_data(as_text=True)
    assert room_state(room_id) == before


def test_joining_twice_is_409(show_room, room_state):
    room_id, (_, junho) = show_room("mina", "junho")
    before = room_state(room_id)
    assert junho.act(room_id, "join").status_code == 409
    assert room_state(room_id) == before


def test_leaving_and_coming_back_keeps_the_seat_count(show_room, room_state):
    room_id, (_, junho, _seoyeon) = show_room("mina", "junho", "seoyeon")
    assert room_state(room_id)["seats_taken"] == 3
    assert junho.act(room_id, "leave").status_code == 303
    assert room_state(room_id)["seats_taken"] == 2
    assert junho.act(room_id, "leave").status_code == 403
    assert junho.act(room_id, "join").status_code == 303
    state = room_state(room_id)
    assert state["seats_taken"] == 3
    assert [m[1] for m in state["members"]] == [True, True, True]


def test_members_may_leave_a_live_show(live_room, room_state):
    # Second edition (rule 9): leaving a live show is allowed; a leaving host hands over.
    room_id, (mina, junho, *_) = live_room
    assert junho.act(room_id, "leave").status_code == 303
    assert mina.act(room_id, "leave").status_code == 303
    state = room_state(room_id)
    assert state["status"] == RoomStatus.LIVE
    assert state["seats_taken"] == 2
    assert state["host_id"] not in (mina.id, junho.id)


def test_a_leaving_host_hands_the_room_to_the_longest_waiting_member(show_room, room_state):
    room_id, (mina, junho, _seoyeon) = show_room("mina", "junho", "seoyeon")
    assert mina.act(room_id, "leave").status_code == 303
    state = room_state(room_id)
    assert state["host_id"] == junho.id
    assert state["status"] == RoomStatus.LOBBY
    assert state["seats_taken"] == 2
    # The new host can start; the old one is just a visitor now.
    assert mina.act(room_id, "start").status_code == 403
    assert junho.act(room_id, "start").status_code == 303


def test_a_host_alone_who_leaves_cancels_the_room(show_people, room_state, client):
    (mina,) = show_people("mina")
    room_id = mina.create_room()
    response = mina.act(room_id, "leave")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/rooms/")
    assert room_state(room_id)["status"] == RoomStatus.CANCELLED
    assert client.get(f"/rooms/{room_id}").status_code == 404
    assert f"/rooms/{room_id}" not in client.get("/rooms/").get_data(as_text=True)


# --- starting ------------------------------------------------------------------------------


def test_a_non_host_cannot_start(show_room, room_state):
    room_id, (_, junho) = show_room("mina", "junho")
    before = room_state(room_id)
    response = junho.act(room_id, "start")
    assert response.status_code == 403
    assert room_state(room_id) == before


def test_a_show_needs_two_members(show_people, room_state):
    (mina,) = show_people("mina")
    room_id = mina.create_room()
    before = room_state(room_id)
    assert mina.act(room_id, "start").status_code == 409
    assert room_state(room_id) == before


def test_the_host_picks_the_first_performer(show_room, room_state):
    room_id, (mina, junho) = show_room("mina", "junho")
    assert mina.act(room_id, "start", {"first_performer_id": junho.id}).status_code == 303
    assert room_state(room_id)["performances"][0][:2] == (junho.id, 1)


@pytest.mark.parametrize("first", ["999", "abc", "-1"])
def test_the_first_performer_must_be_a_member(show_room, room_state, first):
    room_id, (mina, _) = show_room("mina", "junho")
    before = room_state(room_id)
    assert mina.act(room_id, "start", {"first_performer_id": first}).status_code == 400
    assert room_state(room_id) == before


def test_starting_twice_is_409(live_room, room_state):
    room_id, (mina, *_) = live_room
    before = room_state(room_id)
    assert mina.act(room_id, "start").status_code == 409
    assert room_state(room_id) == before
