"""Every show rule and permission: the right 4xx, and nothing changes when a rule says no."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Performance, RoomStatus
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


@pytest.fixture
def live_room(show_room):
    """A live ranked show of four with the host (mina) on air."""
    room_id, people = show_room("mina", "junho", "seoyeon", "dohyun")
    assert people[0].act(room_id, "start").status_code == 303
    return room_id, people


@pytest.fixture
def scoring_room(live_room):
    """The same show with mina's turn ended, so the others are scoring."""
    room_id, people = live_room
    assert people[0].act(room_id, "end-turn").status_code == 303
    return room_id, people


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


# --- turns ---------------------------------------------------------------------------------


def test_only_the_performer_or_the_host_ends_the_turn(show_room, room_state):
    room_id, (mina, junho, seoyeon) = show_room("mina", "junho", "seoyeon")
    assert mina.act(room_id, "start", {"first_performer_id": junho.id}).status_code == 303
    before = room_state(room_id)
    assert seoyeon.act(room_id, "end-turn").status_code == 403
    assert room_state(room_id) == before
    assert junho.act(room_id, "end-turn").status_code == 303
    assert junho.act(room_id, "end-turn").status_code == 409


def test_the_host_can_end_someone_elses_turn(show_room, room_state):
    room_id, (mina, junho) = show_room("mina", "junho")
    assert mina.act(room_id, "start", {"first_performer_id": junho.id}).status_code == 303
    assert mina.act(room_id, "end-turn").status_code == 303
    assert room_state(room_id)["performances"][0][2].value == "scoring"


# --- scoring -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value", ["0", "11", "5.5", "true", "1e309", "", " ", "-3", "10.0", "٣", "7 7", "nan"]
)
def test_bad_scores_are_400(scoring_room, room_state, value):
    room_id, (_, junho, *_) = scoring_room
    before = room_state(room_id)
    response = junho.act(room_id, "score", {"value": value})
    assert response.status_code == 400
    assert "whole numbers from 1 to 10" in response.get_data(as_text=True)
    assert room_state(room_id) == before


def test_a_missing_score_is_400(scoring_room, room_state):
    room_id, (_, junho, *_) = scoring_room
    before = room_state(room_id)
    assert junho.act(room_id, "score", {}).status_code == 400
    assert room_state(room_id) == before


def test_performers_cannot_score_themselves(scoring_room, room_state):
    room_id, (mina, *_) = scoring_room
    before = room_state(room_id)
    assert mina.act(room_id, "score", {"value": "10"}).status_code == 403
    assert room_state(room_id) == before


def test_scoring_twice_is_409_and_counted_once(scoring_room, room_state):
    room_id, (_, junho, *_) = scoring_room
    assert junho.act(room_id, "score", {"value": "8"}).status_code == 303
    before = room_state(room_id)
    response = junho.act(room_id, "score", {"value": "3"}, htmx=True)
    assert response.status_code == 409
    assert room_state(room_id) == before
    assert [s[1:] for s in before["scores"]] == [(junho.id, 8)]


def test_scoring_while_on_air_is_409(live_room, room_state):
    room_id, (_, junho, *_) = live_room
    before = room_state(room_id)
    assert junho.act(room_id, "score", {"value": "8"}).status_code == 409
    assert room_state(room_id) == before


def test_only_the_host_closes_scoring_and_finishes(scoring_room, room_state):
    room_id, (_mina, junho, *_) = scoring_room
    before = room_state(room_id)
    assert junho.act(room_id, "close-scoring").status_code == 403
    assert junho.act(room_id, "finish").status_code == 403
    assert room_state(room_id) == before


def test_closing_scoring_when_it_is_not_open_is_409(live_room, room_state):
    room_id, (mina, *_) = live_room
    before = room_state(room_id)
    assert mina.act(room_id, "close-scoring").status_code == 409
    assert room_state(room_id) == before


def test_closing_with_no_scores_leaves_no_average(scoring_room, room_state):
    room_id, (mina, *_) = scoring_room
    assert mina.act(room_id, "close-scoring").status_code == 303
    performance = room_state(room_id)["performances"][0]
    assert performance[3] is None and performance[4] is False


# --- nominating ----------------------------------------------------------------------------


def test_nominating_someone_who_has_performed_is_409(show_room, room_state):
    room_id, (mina, _junho, _seoyeon) = show_room("mina", "junho", "seoyeon")
    assert mina.act(room_id, "start").status_code == 303
    before = room_state(room_id)
    assert mina.act(room_id, "nominate", {"user_id": mina.id}).status_code == 409
    assert room_state(room_id) == before


def test_nominating_someone_who_left_is_409(show_people, room_state):
    mina, junho, seoyeon = show_people("mina", "junho", "seoyeon")
    room_id = mina.create_room()
    assert junho.act(room_id, "join").status_code == 303
    assert seoyeon.act(room_id, "join").status_code == 303
    assert seoyeon.act(room_id, "leave").status_code == 303
    assert mina.act(room_id, "start").status_code == 303
    before = room_state(room_id)
    response = mina.act(room_id, "nominate", {"user_id": seoyeon.id})
    assert response.status_code == 409
    assert "left" in response.get_data(as_text=True)
    assert room_state(room_id) == before


@pytest.mark.parametrize("nominee", ["outsider", "999", "abc", ""])
def test_nominating_a_non_member_is_400(live_room, show_people, room_state, nominee):
    room_id, (mina, *_) = live_room
    (outsider,) = show_people("outsider")
    value = str(outsider.id) if nominee == "outsider" else nominee
    before = room_state(room_id)
    assert mina.act(room_id, "nominate", {"user_id": value}).status_code == 400
    assert room_state(room_id) == before


def test_only_the_performer_or_the_host_nominates(show_room, room_state):
    room_id, (mina, junho, seoyeon) = show_room("mina", "junho", "seoyeon")
    assert mina.act(room_id, "start", {"first_performer_id": junho.id}).status_code == 303
    before = room_state(room_id)
    assert seoyeon.act(room_id, "nominate", {"user_id": mina.id}).status_code == 403
    assert room_state(room_id) == before
    assert junho.act(room_id, "nominate", {"user_id": seoyeon.id}).status_code == 303
    assert mina.act(room_id, "nominate", {"user_id": mina.id}).status_code == 303
    assert room_state(room_id)["performances"][0][5] == mina.id


# --- reactions -----------------------------------------------------------------------------


def test_reacting_when_nobody_is_on_air_is_409(show_room, room_state):
    room_id, (mina, junho) = show_room("mina", "junho")
    assert junho.act(room_id, "react", {"kind": "clap"}).status_code == 409
    assert mina.act(room_id, "start").status_code == 303
    assert mina.act(room_id, "end-turn").status_code == 303
    before = room_state(room_id)
    assert junho.act(room_id, "react", {"kind": "clap"}).status_code == 409
    assert room_state(room_id) == before


@pytest.mark.parametrize("kind", ["", "boo", "claps", "CLAP"])
def test_unknown_reactions_are_400(live_room, app, kind):
    room_id, (_, junho, *_) = live_room
    assert junho.act(room_id, "react", {"kind": kind}).status_code == 400
    with app.app_context():
        performance = db.session.scalars(select(Performance)).one()
        assert (performance.claps, performance.mirror_balls) == (0, 0)


def test_reactions_are_counted_without_a_stage_change(live_room, app, room_state):
    room_id, (mina, junho, seoyeon, dohyun) = live_room
    version = room_state(room_id)["version"]
    response = junho.act(room_id, "react", {"kind": "clap"}, htmx=True)
    assert response.status_code == 200
    assert 'id="reactions"' in response.get_data(as_text=True)
    assert seoyeon.act(room_id, "react", {"kind": "mirror_ball"}).status_code == 303
    assert dohyun.act(room_id, "react", {"kind": "clap"}).status_code == 303
    # Second edition (rule 11): mina is on air and cannot react to herself.
    assert mina.act(room_id, "react", {"kind": "clap"}).status_code == 403
    with app.app_context():
        performance = db.session.scalars(select(Performance)).one()
        assert (performance.claps, performance.mirror_balls) == (2, 1)
    assert room_state(room_id)["version"] == version


def test_reactions_are_rate_limited_quietly_per_person(live_room, app):
    room_id, (_, junho, seoyeon, _) = live_room
    app.config["REACTION_RATE_LIMIT"] = "3 per minute"
    for _ in range(3):
        assert junho.act(room_id, "react", {"kind": "clap"}, htmx=True).status_code == 200
    response = junho.act(room_id, "react", {"kind": "clap"}, htmx=True)
    assert response.status_code == 429
    assert response.headers["HX-Reswap"] == "none"
    assert response.get_data(as_text=True) == ""
    assert junho.act(room_id, "react", {"kind": "clap"}).status_code == 429
    # Someone else still can (not mina: she is on air, and never reacts to herself).
    assert seoyeon.act(room_id, "react", {"kind": "clap"}, htmx=True).status_code == 200
    with app.app_context():
        assert db.session.scalars(select(Performance)).one().claps == 4


# --- casual rooms --------------------------------------------------------------------------


def test_casual_results_never_count_toward_rankings(show_room, room_state):
    room_id, (mina, junho, seoyeon) = show_room("mina", "junho", "seoyeon", mode="casual")
    assert mina.act(room_id, "start").status_code == 303
    assert mina.act(room_id, "nominate", {"user_id": junho.id}).status_code == 303
    assert mina.act(room_id, "end-turn").status_code == 303
    for person in (junho, seoyeon):
        assert person.act(room_id, "score", {"value": "9"}).status_code == 303
    assert mina.act(room_id, "finish").status_code == 303
    state = room_state(room_id)
    assert state["status"] == RoomStatus.FINISHED
    assert [p[4] for p in state["performances"]] == [False, False]
    assert state["performances"][0][3] is not None
    html = mina.client.get(f"/rooms/{room_id}").get_data(as_text=True)
    assert "do not count toward rankings" in html


# --- the personalised stage ----------------------------------------------------------------


def stage_html(person, room_id: int) -> str:
    """Fetch the stage fragment as htmx does."""
    response = person.client.get(f"/rooms/{room_id}/stage", headers=HTMX)
    assert response.status_code == 200
    assert response.headers["Vary"] == "HX-Request" or "HX-Request" in response.headers["Vary"]
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith("<section") or "<section" in html[:400]
    return html


def test_the_stage_shows_each_viewer_only_their_controls(show_room):
    room_id, (mina, junho, seoyeon) = show_room("mina", "junho", "seoyeon")
    lobby_host, lobby_member = stage_html(mina, room_id), stage_html(junho, room_id)
    assert "/start" in lobby_host and "/start" not in lobby_member
    assert "/leave" in lobby_member
    assert mina.act(room_id, "start", {"first_performer_id": junho.id}).status_code == 303

    host, performer, other = (stage_html(p, room_id) for p in (mina, junho, seoyeon))
    for html in (host, performer, other):
        # The live region stays in the page; each stage update refills it out of band.
        assert '<div hx-swap-oob="innerHTML:#stage-announcer">On air: junho.</div>' in html
        assert "hx-sync" not in html  # only the region's own refresh syncs, never a post
        assert "/score" not in html
    assert "/end-turn" in host and "/end-turn" in performer and "/end-turn" not in other
    # Stage forms answer into the region that stays put, never a replaced element.
    assert 'hx-target="#stage-region" hx-swap="innerHTML"' in host
    assert "/nominate" in host and "/nominate" in performer and "/nominate" not in other
    assert "/finish" in host and "/finish" not in performer and "/finish" not in other
    assert "/react" in other and "On air" in other
    page = seoyeon.client.get(f"/rooms/{room_id}").get_data(as_text=True)
    region = page[page.index('<div id="stage-region"') :].split(">", 1)[0]
    assert f'data-subscribe="room:{room_id}"' in region
    assert 'hx-trigger="encore-stage, encore-connect' in region
    assert 'data-listen="stage reaction presence"' in region
    assert 'hx-sync="this:queue last" hx-disinherit="*"' in region
    assert 'id="stage-announcer" class="sr-only" aria-live="polite"' in page
    assert "On air: junho.</p>" in page
    assert "hx-swap-oob" not in page  # out-of-band parts only travel in htmx responses

    assert junho.act(room_id, "end-turn").status_code == 303
    host, performer, other = (stage_html(p, room_id) for p in (mina, junho, seoyeon))
    assert "/score" in host and "/score" in other and "/score" not in performer
    assert "/close-scoring" in host and "/close-scoring" not in other
    assert seoyeon.act(room_id, "score", {"value": "9"}).status_code == 303
    assert "/score" not in stage_html(seoyeon, room_id)
    assert "your score is in" in stage_html(seoyeon, room_id)


def test_htmx_actions_answer_the_stage_and_plain_posts_303(live_room):
    room_id, (mina, *_) = live_room
    response = mina.act(room_id, "end-turn", htmx=True)
    assert response.status_code == 200
    assert response.get_data(as_text=True).lstrip().startswith("<section")
    assert "Vary" in response.headers
    response = mina.act(room_id, "close-scoring")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/rooms/{room_id}")


def test_without_scripts_the_room_page_holds_still_and_frames_the_stage(show_room, client):
    room_id, _ = show_room("mina", "junho")
    html = client.get(f"/rooms/{room_id}").get_data(as_text=True)
    # The page itself never reloads (a chat draft would be wiped); its stage refreshes in a
    # frame of its own instead (tests/web/test_room_frames.py).
    assert 'http-equiv="refresh"' not in html
    assert f'src="/rooms/{room_id}/frames/stage"' in html
    assert "Log in to join" in html


def test_posting_ids_in_the_form_never_changes_who_acts(live_room, room_state):
    room_id, (mina, junho, *_) = live_room
    assert mina.act(room_id, "end-turn").status_code == 303
    before = room_state(room_id)
    # A "scorer_id" field is ignored: mina is still the performer and cannot score.
    response = mina.act(room_id, "score", {"value": "10", "scorer_id": str(junho.id)})
    assert response.status_code == 403
    assert room_state(room_id) == before
