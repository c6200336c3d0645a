"""The show's rules once it is live: turns, blind scoring, nominating, reactions, casual
rooms and the stage each viewer gets — the right 4xx, and nothing changes when a rule says no."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Performance, RoomStatus
from tests.support.web import HTMX

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
