"""Leaderboard ranks on known data: ties, casual rooms, the KST week, rank changes."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.services import leaderboard
from app.services.errors import InvalidInput
from tests.conftest import make_app
from tests.support import factories

KST = ZoneInfo("Asia/Seoul")
# Monday 16 November 2026, 10:00 in Seoul: the week runs from Monday 00:00 KST.
MONDAY = datetime(2026, 11, 16, 10, 0, tzinfo=KST)


def test_ties_share_a_rank():
    entries = leaderboard.ranked({1: 900, 2: 800, 3: 800, 4: 700, 5: 700, 6: 100})
    assert [(e.user_id, e.rank) for e in entries] == [
        (1, 1),
        (2, 2),
        (3, 2),
        (4, 4),
        (5, 4),
        (6, 6),
    ]


def _board(period="all", category=None, viewer=None, page=1):
    """Return (username, rank, score) rows; the order within a tie is not part of the rule."""
    result = leaderboard.page(period, category, page, viewer)
    rows = [(row.user.username, row.entry.rank, str(row.entry.score)) for row in result.rows]
    return sorted(rows, key=lambda row: (row[1], row[0]))


def _known_data(closed_at=None):
    """Four performers: a tie for second, a casual room that must not count."""
    ids = {name: factories.user(name) for name in ("ana", "bob", "cyd", "dee", "judge")}
    judge = ids["judge"]
    ranked = factories.room(ids["ana"], member_ids=(ids["bob"], ids["cyd"], ids["dee"], judge))
    casual = factories.room(ids["dee"], mode="casual", category="comedy", member_ids=(judge,))
    at = closed_at or datetime.now(KST)
    factories.finished_performance(ranked, ids["ana"], {judge: 9, ids["bob"]: 8}, closed_at=at)
    factories.finished_performance(ranked, ids["ana"], {judge: 7}, closed_at=at)  # 8.5 + 7
    factories.finished_performance(ranked, ids["bob"], {judge: 10}, closed_at=at)
    factories.finished_performance(ranked, ids["cyd"], {judge: 6, ids["bob"]: 4}, closed_at=at)
    factories.finished_performance(ranked, ids["cyd"], {judge: 5}, closed_at=at)  # 5 + 5
    factories.finished_performance(ranked, ids["dee"], {judge: 3}, closed_at=at)
    factories.finished_performance(casual, ids["dee"], {judge: 10}, closed_at=at)
    factories.finished_performance(casual, ids["dee"], {judge: 10}, closed_at=at)
    return ids


def test_all_time_ranks_ties_and_casual_rooms(app):
    with app.app_context():
        ids = _known_data()
        outcome = leaderboard.refresh()
        assert outcome.refreshed
        assert _board() == [
            ("ana", 1, "15.50"),
            ("bob", 2, "10.00"),
            ("cyd", 2, "10.00"),
            ("dee", 4, "3.00"),
        ]
        # The casual comedy room counts nowhere, not even on its category's board.
        assert _board(category="comedy") == []
        assert _board(category="karaoke")[0] == ("ana", 1, "15.50")
        mine = leaderboard.rank_of(ids["cyd"])
        assert (mine.rank, mine.score_cents) == (2, 1000)
        assert leaderboard.rank_of(ids["judge"]) is None


def test_week_runs_monday_to_sunday_in_korea_time(app):
    sunday_late = datetime(2026, 11, 15, 23, 59, tzinfo=KST)
    monday_start = datetime(2026, 11, 16, 0, 0, tzinfo=KST)
    next_monday = datetime(2026, 11, 23, 0, 0, tzinfo=KST)
    with app.app_context():
        start, end = leaderboard.week_window(MONDAY)
        assert (start, end) == (monday_start, next_monday)
        assert leaderboard.week_label(sunday_late) == "2026-W46"
        assert leaderboard.week_label(monday_start) == "2026-W47"

        judge, early, on_time, late = (
            factories.user(n) for n in ("judge", "early", "ontime", "late")
        )
        room = factories.room(judge, member_ids=(early, on_time, late))
        factories.finished_performance(room, early, {judge: 9}, closed_at=sunday_late)
        factories.finished_performance(room, on_time, {judge: 4}, closed_at=monday_start)
        factories.finished_performance(room, late, {judge: 5}, closed_at=next_monday)
        boards = leaderboard.compute_boards(MONDAY)
        assert boards["week"] == {on_time: 400}
        assert boards["week:karaoke"] == {on_time: 400}
        assert boards["all"] == {early: 900, on_time: 400, late: 500}
        # A minute earlier, Sunday night belongs to the week before.
        assert leaderboard.compute_boards(sunday_late)["week"] == {early: 900}


def test_rank_changes_since_the_previous_refresh(app):
    with app.app_context():
        judge, a, b, c = (factories.user(n) for n in ("judge", "amy", "ben", "cat"))
        room = factories.room(judge, member_ids=(a, b, c))
        factories.finished_performance(room, a, {judge: 9})
        factories.finished_performance(room, b, {judge: 5})
        assert leaderboard.refresh().refreshed
        factories.finished_performance(room, b, {judge: 8})
        factories.finished_performance(room, c, {judge: 1})
        _force_refresh()
        result = leaderboard.page("all", None, 1, a)
        changes = {row.user.username: row.entry.change for row in result.rows}
        assert changes == {"ben": 1, "amy": -1, "cat": None}
        assert result.viewer.rank == 2 and result.viewer.change == -1
        assert result.updated_at is not None


def _force_refresh():
    """Refresh again even in embedded mode (the lazy refresh would wait an hour)."""
    assert leaderboard.refresh().refreshed


@pytest.mark.parametrize(
    ("period", "category", "page"),
    [("month", None, 1), ("all", "opera", 1), ("all", None, 0), ("week", None, 10_001)],
)
def test_bad_board_values_are_refused(app, period, category, page):
    with app.test_request_context(), pytest.raises(InvalidInput):
        leaderboard.page(period, category, page, None)


def test_embedded_snapshot_refreshes_lazily_once_an_hour():
    app = make_app(REDIS_URL=None)
    with app.app_context():
        judge, a = factories.user("judge"), factories.user("amy")
        room = factories.room(judge, member_ids=(a,))
        factories.finished_performance(room, a, {judge: 6})
        first = leaderboard.page("all", None, 1, None)  # the first view builds the snapshot
        assert first.source == "memory" and len(first.rows) == 1
        b = factories.user("ben")
        factories.finished_performance(room, b, {judge: 9})
        assert len(leaderboard.page("all", None, 1, None).rows) == 1  # still the cached hour
        snapshot = app.extensions["encore_leaderboard_memory"]
        snapshot.at -= timedelta(hours=1, seconds=1)
        assert [r.user.username for r in leaderboard.page("all", None, 1, None).rows] == [
            "ben",
            "amy",
        ]
        from tests.conftest import _wipe_tables

        _wipe_tables()


def test_redis_snapshot_is_written_in_batches_and_swapped(redis_url):
    app = make_app(REDIS_URL=redis_url, LEADERBOARD_BATCH_SIZE=3, LEADERBOARD_PAGE_SIZE=4)
    try:
        with app.app_context():
            judge = factories.user("judge")
            people = [factories.user(f"player{i}") for i in range(10)]
            room = factories.room(judge, capacity=20, member_ids=tuple(people))
            for i, uid in enumerate(people):
                factories.finished_performance(room, uid, {judge: 1 + i % 5})
            outcome = leaderboard.refresh()
            assert outcome.refreshed and outcome.members == 10
            first = leaderboard.page("all", None, 1, people[0])
            assert first.source == "cache" and first.total == 10 and first.has_next
            assert [r.entry.rank for r in first.rows] == [1, 1, 3, 3]
            third = leaderboard.page("all", None, 3, None)
            assert [r.entry.rank for r in third.rows] == [9, 9] and not third.has_next
            assert first.viewer.rank == 9
            client = app.extensions["encore_redis"]
            prefix = app.config["REDIS_KEY_PREFIX"]
            assert client.zcard(prefix + "lb:cur:all") == 10
            assert not list(client.scan_iter(match=prefix + "lb:tmp:*"))
            assert not client.exists(prefix + "lb:lock")
    finally:
        with app.app_context():
            from tests.conftest import _wipe_redis, _wipe_tables

            _wipe_tables()
        _wipe_redis(app)
