"""Real concurrency: sequence numbers stay 1..n without gaps or twins, a retried post racing
itself is stored once, and two first visitors create one room channel."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from app.extensions import db
from app.models import Channel, Message
from tests.web.chat_helpers import client_id, person, room_with, say


def run_together(jobs) -> list:
    """Start every job at the same moment in its own thread and return their results."""
    barrier = threading.Barrier(len(jobs))
    results: list = [None] * len(jobs)

    def run(i, job):
        barrier.wait(timeout=10)
        results[i] = job()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_concurrent_posts_get_consecutive_sequence_numbers(app):
    people = [person(app, f"singer{n}") for n in range(5)]
    room_id = room_with(app, people[0][1], *(uid for _, uid in people[1:]))
    url = f"/rooms/{room_id}/messages"
    say(people[0][0], url, "warm up")  # the channel exists before the rush
    jobs = [
        (lambda c=client, n=n, k=k: say(c, url, f"{n}-{k}"))
        for n, (client, _) in enumerate(people)
        for k in range(2)
    ]
    responses = run_together(jobs)
    refused = [r.get_data(as_text=True)[:300] for r in responses if r.status_code != 201]
    assert [r.status_code for r in responses] == [201] * len(jobs), refused
    seqs = sorted(int(r.headers["X-Chat-Seq"]) for r in responses)
    assert seqs == list(range(2, 2 + len(jobs)))
    with app.app_context():
        stored = db.session.scalars(select(Message.seq).order_by(Message.id)).all()
        last = db.session.scalar(select(Channel.last_seq))
    assert stored == list(range(1, len(jobs) + 2))  # id order is seq order
    assert last == len(jobs) + 1


def test_a_post_racing_its_own_retry_is_stored_once(app):
    mina, mina_id = person(app, "mina")
    room_id = room_with(app, mina_id)
    url = f"/rooms/{room_id}/messages"
    say(mina, url, "warm up")
    cid = client_id()
    clients = [app.test_client() for _ in range(4)]
    for client in clients:  # four tabs of the same person
        client.set_cookie("session", mina.get_cookie("session").value)
    responses = run_together([(lambda c=c: say(c, url, "once", cid)) for c in clients])
    assert sorted(r.status_code for r in responses) == [200, 200, 200, 201]
    assert {r.headers["X-Chat-Seq"] for r in responses} == {"2"}
    with app.app_context():
        assert db.session.scalar(select(func.count(Message.id))) == 2
        assert db.session.scalar(select(Channel.last_seq)) == 2


def _tabs(app, signed_in, count: int) -> list:
    """`count` browser tabs of the person signed in on `signed_in`."""
    clients = [app.test_client() for _ in range(count)]
    for client in clients:
        client.set_cookie("session", signed_in.get_cookie("session").value)
    return clients


def test_the_same_line_from_four_tabs_at_once_is_stored_once(app):
    mina, mina_id = person(app, "mina")
    url = f"/rooms/{room_with(app, mina_id)}/messages"
    responses = run_together([(lambda c=c: say(c, url, "encore!")) for c in _tabs(app, mina, 4)])
    assert sorted(r.status_code for r in responses) == [201, 429, 429, 429]
    with app.app_context():
        assert db.session.scalar(select(func.count(Message.id))) == 1


def test_eight_lines_at_once_meet_the_flood_limit_exactly(app):
    mina, mina_id = person(app, "mina")
    url = f"/rooms/{room_with(app, mina_id)}/messages"
    tabs = _tabs(app, mina, 8)
    responses = run_together(
        [(lambda c=c, n=n: say(c, url, f"line {n}")) for n, c in enumerate(tabs)]
    )
    assert sorted(r.status_code for r in responses) == [201] * 5 + [429] * 3
    with app.app_context():
        assert db.session.scalar(select(func.count(Message.id))) == 5


def test_two_first_visitors_create_one_room_channel(app):
    from app.services import chat

    _mina, mina_id = person(app, "mina")
    room_id = room_with(app, mina_id)

    def first_visit():
        with app.app_context():
            return chat.room_channel_id(room_id)

    ids = run_together([first_visit for _ in range(6)])
    assert len(set(ids)) == 1
    with app.app_context():
        assert db.session.scalar(select(func.count(Channel.id))) == 1
