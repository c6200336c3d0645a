"""The chat flood rule kept by the post's own write (app/services/chat/flood.py).

On PostgreSQL an accepted line and a refused one take different paths (the post's one
statement, whose CHECK fails the whole statement; then the general path, which says
why), so each test here runs both there; SQLite runs the general path only.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import ChatFlood, Message
from app.services.chat.errors import Flooding, RepeatedLine
from app.services.chat.flood import FloodLimits, FloodLine, judge
from tests.web.chat_helpers import client_id, person, room_with, say

RULE = FloodLimits(lines=3, seconds=10, repeat_seconds=30)


def _line(at: float, digest: str | None = None) -> FloodLine:
    """A line at `at`; each says something new unless `digest` is given."""
    return FloodLine(user_id=1, scope="r1", at=at, digest=digest or f"line at {at}")


def test_the_window_counts_lines_inside_it_and_says_when_the_next_fits():
    times, digests = [100.0, 101.0, 102.5], ["a", "b", "c"]
    with pytest.raises(Flooding) as refused:
        judge(times, digests, _line(105.0), RULE)
    assert refused.value.retry_after == 5  # 100.0 leaves the window at 110.0
    times, digests = judge(times, digests, _line(110.5), RULE)
    assert times == [100.0, 101.0, 102.5, 110.5]  # still kept for the repeat rule
    with pytest.raises(Flooding) as refused:
        judge(times, digests, _line(110.8), RULE)
    assert refused.value.retry_after == 1  # 101.0 leaves at 111.0: at least a second


def test_the_same_line_again_waits_for_its_own_window():
    times, digests = judge([], [], _line(100.0, "encore"), RULE)
    with pytest.raises(RepeatedLine) as refused:
        judge(times, digests, _line(112.0, "encore"), RULE)
    assert refused.value.retry_after == 18
    times, digests = judge(times, digests, _line(130.5, "encore"), RULE)
    assert (times, digests) == ([130.5], ["encore"])  # the old line left the window


def _room(app):
    mina, mina_id = person(app, "mina")
    room_id = room_with(app, mina_id)
    return mina, mina_id, room_id, f"/rooms/{room_id}/messages"


def _age_window(app, user_id: int, seconds: float) -> None:
    """Move the user's recorded lines `seconds` into the past, as if time had passed."""
    with app.app_context():
        row = db.session.scalars(select(ChatFlood).where(ChatFlood.user_id == user_id)).one()
        row.times = [t - seconds for t in row.times]
        db.session.commit()


def test_lines_that_left_the_window_stop_counting_and_leave_the_row(app):
    app.config.update(CHAT_FLOOD_LINES=2, CHAT_FLOOD_SECONDS=10, CHAT_REPEAT_SECONDS=30)
    mina, mina_id, _room_id, url = _room(app)
    assert say(mina, url, "one").status_code == 201
    assert say(mina, url, "two").status_code == 201
    assert say(mina, url, "three").status_code == 429
    _age_window(app, mina_id, 11)  # out of the 10 s window, inside the 30 s repeat window
    assert say(mina, url, "three").status_code == 201
    assert say(mina, url, "ONE").status_code == 429  # "one" 11 s ago: still a repeat
    _age_window(app, mina_id, 25)  # "one" and "two" 36 s ago, "three" 25 s
    assert say(mina, url, "one").status_code == 201
    with app.app_context():
        row = db.session.scalars(select(ChatFlood).where(ChatFlood.user_id == mina_id)).one()
        assert len(row.times) == len(row.digests) == 2  # "three" and the new "one"


def test_a_refused_line_takes_no_number_and_stores_nothing(app):
    app.config.update(CHAT_FLOOD_LINES=2)
    mina, mina_id, _room_id, url = _room(app)
    for body in ("one", "two"):
        assert say(mina, url, body).status_code == 201
    for body in ("three", "four"):
        assert say(mina, url, body).status_code == 429
    _age_window(app, mina_id, 60)
    assert say(mina, url, "five").status_code == 201
    with app.app_context():
        lines = db.session.execute(select(Message.seq, Message.body).order_by(Message.seq)).all()
    assert [tuple(line) for line in lines] == [(1, "one"), (2, "two"), (3, "five")]


def test_a_retry_of_a_stored_line_is_not_refused_by_a_full_window(app):
    app.config.update(CHAT_FLOOD_LINES=2)
    mina, _mina_id, _room_id, url = _room(app)
    first = client_id()
    assert say(mina, url, "one", first).status_code == 201
    assert say(mina, url, "two").status_code == 201
    retried = say(mina, url, "one", first)  # the answer to the first post was lost
    assert retried.status_code == 200 and "one" in retried.get_data(as_text=True)
    assert say(mina, url, "three").status_code == 429
