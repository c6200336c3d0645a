"""Statistics: streaks across midnight in Korea, the 7-day window, completion and rank."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from app.services import stats
from tests.support import factories

KST = stats.user_zone("Asia/Seoul")


def utc(*args) -> datetime:
    """A UTC moment."""
    return datetime(*args, tzinfo=UTC)


def test_a_kst_day_starts_at_15_utc():
    # 14:59 UTC is 23:59 in Seoul; 15:00 UTC is already the next day there.
    days = stats.local_days([utc(2026, 3, 1, 14, 59), utc(2026, 3, 1, 15, 0)], KST)
    assert days == {date(2026, 3, 1), date(2026, 3, 2)}


def test_two_performances_a_minute_apart_across_kst_midnight_make_a_two_day_streak():
    days = stats.local_days([utc(2026, 3, 1, 14, 59, 30), utc(2026, 3, 1, 15, 0, 30)], KST)
    assert stats.streaks(days, today=date(2026, 3, 2)) == (2, 2)


def test_same_utc_day_can_be_two_kst_days_and_vice_versa():
    # Both moments are 1 March in UTC but 1 and 2 March in Seoul.
    assert len(stats.local_days([utc(2026, 3, 1, 0, 0), utc(2026, 3, 1, 23, 0)], KST)) == 2
    # 1 March 16:00 UTC and 2 March 14:00 UTC are both 2 March in Seoul.
    assert len(stats.local_days([utc(2026, 3, 1, 16, 0), utc(2026, 3, 2, 14, 0)], KST)) == 1


@pytest.mark.parametrize(
    ("days", "today", "expected"),
    [
        (set(), date(2026, 3, 5), (0, 0)),
        ({date(2026, 3, 5)}, date(2026, 3, 5), (1, 1)),
        # nothing yet today: yesterday's streak is still alive
        ({date(2026, 3, 3), date(2026, 3, 4)}, date(2026, 3, 5), (2, 2)),
        # a whole day missed: the streak is over, the best remains
        ({date(2026, 3, 2), date(2026, 3, 3)}, date(2026, 3, 5), (0, 2)),
        (
            {date(2026, 2, 27), date(2026, 2, 28), date(2026, 3, 1), date(2026, 3, 4)},
            date(2026, 3, 4),
            (1, 3),
        ),
    ],
)
def test_streaks(days, today, expected):
    assert stats.streaks(days, today) == expected


def test_week_activity_has_every_day_in_local_time():
    today = date(2026, 3, 7)
    moments = [utc(2026, 3, 6, 15, 30), utc(2026, 3, 6, 16, 0), utc(2026, 2, 27, 0, 0)]
    week = stats.week_activity(moments, KST, today)
    assert [d.day for d in week] == [today - timedelta(days=n) for n in range(6, -1, -1)]
    assert [d.count for d in week] == [0, 0, 0, 0, 0, 0, 2]


def test_unknown_time_zone_falls_back_to_seoul():
    assert stats.user_zone("Mars/Olympus") == KST
    assert stats.user_zone(None) == KST


def test_user_stats_across_kst_midnight(app):
    with app.app_context():
        mina = factories.user("mina")
        judge = factories.user("judge")
        # 23:59 and 00:01 in Seoul, on 1 and 2 March; "now" is 2 March 09:00 in Seoul.
        for closed in (utc(2026, 3, 1, 14, 59), utc(2026, 3, 1, 15, 1)):
            room = factories.room(judge, status="finished", member_ids=(mina,), created_at=closed)
            factories.finished_performance(room, mina, {judge: 7}, closed_at=closed)
        result = stats.user_stats(mina, now=utc(2026, 3, 2, 0, 0))
        assert (result.current_streak, result.best_streak) == (2, 2)
        assert [d.count for d in result.last_7_days][-2:] == [1, 1]
        # In UTC both were on 1 March: someone living on UTC has a one-day streak.
        from app.extensions import db
        from app.models import User

        db.session.get(User, mina).timezone = "UTC"
        db.session.commit()
        result = stats.user_stats(mina, now=utc(2026, 3, 2, 0, 0))
        assert (result.current_streak, result.best_streak) == (1, 1)
        assert [d.count for d in result.last_7_days][-2:] == [2, 0]


def test_completion_rate_counts_only_rooms_that_went_live(app):
    with app.app_context():
        mina = factories.user("mina")
        host = factories.user("host")
        done = factories.room(host, status="finished", member_ids=(mina,))
        factories.finished_performance(done, mina, {host: 9})
        factories.room(host, status="live", member_ids=(mina,))
        factories.room(host, status="lobby", member_ids=(mina,))
        result = stats.user_stats(mina)
        assert result.rooms_joined == 3
        assert result.rooms_went_live == 2
        assert result.performances_completed == 1
        assert result.completion_rate == 0.5
        nobody = factories.user("newbie")
        assert stats.user_stats(nobody).completion_rate is None


def test_cumulative_score_and_rank(app):
    with app.app_context():
        a, b, c, judge = (factories.user(n) for n in ("aaa", "bbb", "ccc", "judge"))
        ranked = factories.room(judge, status="finished", member_ids=(a, b, c))
        casual = factories.room(judge, status="finished", mode="casual", member_ids=(a, b, c))
        factories.finished_performance(ranked, a, {judge: 9, b: 8})  # 8.50
        factories.finished_performance(ranked, b, {judge: 10})  # 10.00
        factories.finished_performance(casual, c, {judge: 10})  # never counted
        factories.finished_performance(casual, a, {judge: 10})
        assert stats.cumulative_score(a) == Decimal("8.50")
        assert stats.rank_of(b) == 1
        assert stats.rank_of(a) == 2
        assert stats.rank_of(c) is None
        history = stats.score_history(a)
        assert [p.average for p in history] == [Decimal("8.50")]
