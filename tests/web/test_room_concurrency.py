"""Seats and scores under real concurrency: threads, each with its own client, at once."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Room, RoomMember, Score
from tests.support.web import AuthActions, csrf_token

JOINERS = 50
SEATS = 10
ROUNDS = 10


@pytest.fixture
def needs_postgres(database):
    """Skip unless this run uses PostgreSQL, where the race is real and measured."""
    if not database.is_postgres:
        pytest.skip(
            "needs PostgreSQL: run with TEST_DATABASE_URL=postgresql://… to race real "
            "connections (SQLite serialises writers and is covered by the smaller test below)"
        )


def race(posts: list[tuple[object, str, dict]]) -> list[int]:
    """Send every (client, url, form) POST at the same moment from its own thread."""
    prepared = [
        (client, url, {**data, "csrf_token": csrf_token(client)}) for client, url, data in posts
    ]
    barrier = threading.Barrier(len(prepared))
    statuses: list[int] = [0] * len(prepared)
    errors: list[BaseException] = []

    def run(index: int, client, url: str, data: dict) -> None:
        try:
            barrier.wait(timeout=30)
            statuses[index] = client.post(url, data=data).status_code
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=run, args=(i, *post)) for i, post in enumerate(prepared)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    return statuses


def seated(app, room_id: int) -> tuple[int, int]:
    """Return (present members, seats_taken) of a room from the database."""
    with app.app_context():
        members = db.session.scalar(
            select(func.count(RoomMember.id)).where(
                RoomMember.room_id == room_id, RoomMember.left_at.is_(None)
            )
        )
        return members, db.session.get(Room, room_id).seats_taken


@pytest.mark.postgres
@pytest.mark.timeout(600)
def test_fifty_joiners_for_ten_seats_seat_exactly_ten(needs_postgres, app, show_people):
    host, *joiners = show_people("host", *(f"fan{i:02d}" for i in range(JOINERS)))
    for round_number in range(ROUNDS):
        room_id = host.create_room(title=f"Race {round_number}", capacity=SEATS + 1)
        statuses = race([(p.client, f"/rooms/{room_id}/join", {}) for p in joiners])
        counts = Counter(statuses)
        assert counts == {303: SEATS, 409: JOINERS - SEATS}, (round_number, counts)
        assert seated(app, room_id) == (SEATS + 1, SEATS + 1)


@pytest.mark.postgres
def test_twenty_identical_score_posts_store_one_score(needs_postgres, app, show_room):
    room_id, (mina, junho) = show_room("mina", "junho")
    assert mina.act(room_id, "start").status_code == 303
    assert mina.act(room_id, "end-turn").status_code == 303
    # Twenty tabs of the same member, all posting the same score at once.
    clients = [junho.client]
    for _ in range(19):
        client = app.test_client()
        assert AuthActions(client).login("junho").status_code == 303
        clients.append(client)
    statuses = race([(c, f"/rooms/{room_id}/score", {"value": "8"}) for c in clients])
    assert Counter(statuses) == {303: 1, 409: 19}
    with app.app_context():
        assert db.session.scalar(select(func.count(Score.id))) == 1


def test_concurrent_joins_never_overfill_a_room_on_any_database(app, show_people):
    host, *joiners = show_people("host", *(f"fan{i:02d}" for i in range(12)))
    room_id = host.create_room(capacity=5)
    statuses = race([(p.client, f"/rooms/{room_id}/join", {}) for p in joiners])
    assert Counter(statuses) == {303: 4, 409: 8}
    assert seated(app, room_id) == (5, 5)
