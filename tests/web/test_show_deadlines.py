"""Show rules, second edition: deadlines, presence, leaving, removal and the idle limit.

Time is moved by writing the deadline (or the last activity) into the past on the row, the
way a clock would; the show then moves on at the next read, exactly once.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from app.database import utcnow
from app.extensions import db
from app.models import Phase, Room, RoomMember, RoomStatus
from app.services import deadlines
from tests.support.web import HTMX


def _expire(app, room_id: int) -> None:
    """Let the room's current deadline pass."""
    with app.app_context():
        db.session.execute(
            update(Room).where(Room.id == room_id).values(deadline_at=utcnow() - timedelta(1))
        )
        db.session.commit()


def _absent(app, room_id: int, user_id: int) -> None:
    """Make a member absent: no socket, and their last page load long ago."""
    with app.app_context():
        db.session.execute(
            update(RoomMember)
            .where(RoomMember.room_id == room_id, RoomMember.user_id == user_id)
            .values(last_seen_at=utcnow() - timedelta(hours=1))
        )
        db.session.commit()


def _phases(state) -> list[tuple[int, Phase]]:
    return [(p[0], p[2]) for p in state["performances"]]


def test_a_new_room_has_the_turn_and_scoring_lengths_from_the_form(show_people, app):
    (mina,) = show_people("mina")
    room_id = mina.create_room(turn_minutes=5, scoring_seconds=30)
    with app.app_context():
        room = db.session.get(Room, room_id)
        assert (room.turn_minutes, room.scoring_seconds) == (5, 30)
    default_id = mina.create_room()
    with app.app_context():
        room = db.session.get(Room, default_id)
        assert (room.turn_minutes, room.scoring_seconds) == (3, 60)


def test_bad_turn_and_scoring_lengths_are_400_and_open_nothing(show_people, app):
    from tests.support.web import post

    (mina,) = show_people("mina")
    for field, value in (("turn_minutes", "0"), ("turn_minutes", "11"), ("scoring_seconds", "9")):
        data = {"title": "t", "category": "karaoke", "mode": "ranked", "capacity": "4"}
        response = post(mina.client, "/rooms/", {**data, field: value})
        assert response.status_code == 400
    with app.app_context():
        assert db.session.query(Room).count() == 0


def test_the_clock_ends_the_turn_closes_scoring_and_nominates_the_longest_waiting(
    show_room, room_state, app
):
    room_id, (mina, junho, seoyeon) = show_room("mina", "junho", "seoyeon")
    assert mina.act(room_id, "start").status_code == 303
    html = junho.client.get(f"/rooms/{room_id}/stage", headers=HTMX).get_data(as_text=True)
    assert "data-clock=" in html  # everyone sees the countdown

    _expire(app, room_id)  # the turn runs out
    junho.client.get(f"/rooms/{room_id}/stage", headers=HTMX)
    state = room_state(room_id)
    assert _phases(state) == [(mina.id, Phase.SCORING)]
    version = state["version"]
    junho.client.get(f"/rooms/{room_id}/stage", headers=HTMX)
    assert room_state(room_id)["version"] == version  # applied once

    assert junho.act(room_id, "score", {"value": "8"}).status_code == 303
    _expire(app, room_id)  # scoring closes with the one score in
    seoyeon.client.get(f"/rooms/{room_id}")
    state = room_state(room_id)
    assert state["performances"][0][2] == Phase.CLOSED
    assert str(state["performances"][0][3]) == "8.00"

    _expire(app, room_id)  # nobody nominated in 30 s: junho has waited longest
    mina.client.get(f"/rooms/{room_id}/stage")
    assert _phases(room_state(room_id))[-1] == (junho.id, Phase.ON_AIR)


def test_an_absent_member_is_skipped_when_nominating(show_room, room_state, app):
    room_id, (mina, junho, seoyeon) = show_room("mina", "junho", "seoyeon")
    mina.act(room_id, "start")
    mina.act(room_id, "end-turn")
    mina.act(room_id, "close-scoring")
    _absent(app, room_id, junho.id)
    _expire(app, room_id)
    mina.client.get(f"/rooms/{room_id}/stage")
    assert _phases(room_state(room_id))[-1] == (seoyeon.id, Phase.ON_AIR)


def test_a_member_who_went_away_mid_scoring_does_not_block(show_room, room_state, app):
    room_id, (mina, junho, seoyeon, dohyun) = show_room("mina", "junho", "seoyeon", "dohyun")
    mina.act(room_id, "start")
    mina.act(room_id, "nominate", {"user_id": str(junho.id)})
    mina.act(room_id, "end-turn")
    _absent(app, room_id, dohyun.id)  # closed the browser
    junho.act(room_id, "score", {"value": "7"})
    seoyeon.act(room_id, "score", {"value": "9"})
    state = room_state(room_id)
    assert state["performances"][0][2] == Phase.CLOSED
    assert str(state["performances"][0][3]) == "8.00"
    assert _phases(state)[-1] == (junho.id, Phase.ON_AIR)


def test_applying_a_deadline_twice_changes_nothing(show_room, room_state, app):
    room_id, (mina, _junho) = show_room("mina", "junho")
    mina.act(room_id, "start")
    _expire(app, room_id)
    with app.app_context():
        assert deadlines.apply_due(room_id) is True
        assert deadlines.apply_due(room_id) is False
        assert deadlines.sweep() == 0
    assert _phases(room_state(room_id)) == [(mina.id, Phase.SCORING)]


def test_the_host_pauses_resumes_and_extends_the_clock(show_room, room_state, app):
    room_id, (mina, junho) = show_room("mina", "junho")
    mina.act(room_id, "start")
    assert junho.act(room_id, "pause").status_code == 403
    assert mina.act(room_id, "pause").status_code == 303
    with app.app_context():
        room = db.session.get(Room, room_id)
        assert room.deadline_at is None and 170 <= room.paused_seconds_left <= 180
    html = junho.client.get(f"/rooms/{room_id}/stage", headers=HTMX).get_data(as_text=True)
    assert 'data-paused="true"' in html
    # A paused clock never runs out.
    with app.app_context():
        assert deadlines.sweep() == 0
    assert mina.act(room_id, "extend").status_code == 303
    assert mina.act(room_id, "resume").status_code == 303
    with app.app_context():
        room = db.session.get(Room, room_id)
        assert room.paused_seconds_left is None
        assert room.deadline_at > utcnow() + timedelta(seconds=200)
    assert mina.act(room_id, "resume").status_code == 409


def test_leaving_mid_show_forfeits_the_turn_and_keeps_given_scores(show_room, room_state):
    room_id, (mina, junho, seoyeon) = show_room("mina", "junho", "seoyeon")
    mina.act(room_id, "start", {"first_performer_id": str(junho.id)})
    junho.act(room_id, "nominate", {"user_id": str(seoyeon.id)})
    junho.act(room_id, "end-turn")
    seoyeon.act(room_id, "score", {"value": "6"})
    mina.act(room_id, "score", {"value": "9"})  # closes: seoyeon goes on air
    assert _phases(room_state(room_id))[-1] == (seoyeon.id, Phase.ON_AIR)
    assert seoyeon.act(room_id, "leave").status_code == 303  # her turn is forfeited
    state = room_state(room_id)
    assert state["performances"][-1][2] == Phase.CLOSED and state["performances"][-1][3] is None
    # The score she gave stands.
    assert str(state["performances"][0][3]) == "7.50"
    assert state["status"] == RoomStatus.LIVE
    mina.act(room_id, "nominate", {"user_id": str(mina.id)})
    mina.act(room_id, "end-turn")
    junho.act(room_id, "score", {"value": "10"})
    state = room_state(room_id)
    assert state["status"] == RoomStatus.FINISHED
    results = mina.client.get(f"/rooms/{room_id}").get_data(as_text=True)
    assert "10.00" in results and "7.50" in results


def test_the_host_removes_a_member_and_hands_over(show_room, room_state):
    room_id, (mina, junho, seoyeon) = show_room("mina", "junho", "seoyeon")
    assert junho.act(room_id, "remove", {"user_id": str(seoyeon.id)}).status_code == 403
    mina.act(room_id, "start")
    mina.act(room_id, "nominate", {"user_id": str(seoyeon.id)})
    assert mina.act(room_id, "remove", {"user_id": str(seoyeon.id)}).status_code == 303
    state = room_state(room_id)
    assert (seoyeon.id, False, False) in state["members"]
    assert state["performances"][0][5] is None  # the nomination went with her
    assert seoyeon.act(room_id, "score", {"value": "5"}).status_code == 403
    assert mina.act(room_id, "remove", {"user_id": str(seoyeon.id)}).status_code == 400
    assert mina.act(room_id, "host", {"user_id": str(junho.id)}).status_code == 303
    assert room_state(room_id)["host_id"] == junho.id
    mina.act(room_id, "end-turn")
    junho.act(room_id, "score", {"value": "4"})  # closes; junho is the only one left
    junho.act(room_id, "nominate", {"user_id": str(junho.id)})
    junho.act(room_id, "end-turn")
    mina.act(room_id, "score", {"value": "8"})
    state = room_state(room_id)
    assert state["status"] == RoomStatus.FINISHED
    assert [str(p[3]) for p in state["performances"]] == ["4.00", "8.00"]


def test_an_idle_show_finishes_by_itself_and_leaves_the_lists(show_room, room_state, app, client):
    room_id, (mina, _junho) = show_room("mina", "junho")
    mina.act(room_id, "start")
    mina.act(room_id, "pause")
    with app.app_context():
        db.session.execute(
            update(Room)
            .where(Room.id == room_id)
            .values(last_activity_at=utcnow() - timedelta(hours=1, seconds=1))
        )
        db.session.commit()
    assert "Friday karaoke" not in client.get("/rooms/?status=live").get_data(as_text=True)
    with app.app_context():
        assert deadlines.sweep() == 1
    state = room_state(room_id)
    assert state["status"] == RoomStatus.FINISHED
    assert "Results" in client.get(f"/rooms/{room_id}").get_data(as_text=True)


def test_start_is_disabled_with_the_reason_under_two_members(show_people):
    (mina,) = show_people("mina")
    room_id = mina.create_room()
    html = mina.client.get(f"/rooms/{room_id}").get_data(as_text=True)
    assert 'id="stage-start"\n            disabled' in html or "disabled aria-describedby" in html
    assert "A show needs at least 2 members" in html


def test_the_host_makes_the_chat_members_only_and_opens_it_again(show_room, show_people, app):
    room_id, (mina, junho) = show_room("mina", "junho")
    (fan,) = show_people("fan")
    assert junho.act(room_id, "chat-access", {"members_only": "1"}).status_code == 403
    assert mina.act(room_id, "chat-access", {"members_only": "1"}).status_code == 303
    assert fan.client.get(f"/rooms/{room_id}/messages").status_code == 404
    assert junho.client.get(f"/rooms/{room_id}/messages").status_code == 200
    assert mina.act(room_id, "chat-access", {"members_only": "0"}).status_code == 303
    assert fan.client.get(f"/rooms/{room_id}/messages").status_code == 200
