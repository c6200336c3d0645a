"""`flask seed-demo` gives people follows and charts, and is safe to run twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from app.demo.social import BATCHES, batch_start, turn_opens
from app.extensions import db
from app.models import Follow, Performance, Room
from app.services import stats
from app.services.accounts import get_user_by_username
from app.services.stats import local_days, streaks, user_zone


def test_seed_demo_adds_follows_and_histories_once(app, runner):
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    assert "social:" in first.output
    with app.app_context():
        follows = db.session.scalar(select(func.count()).select_from(Follow))
        performances = db.session.scalar(select(func.count(Performance.id)))
        assert follows > 20 and performances > 40
        mina = get_user_by_username("mina")
        mina_stats = stats.user_stats(mina.id)
        assert len(mina_stats.score_history) >= 10
        assert mina_stats.current_streak >= 5
        assert sum(day.count for day in mina_stats.last_7_days) >= 5
        assert mina_stats.rank is not None
    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0, second.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Follow)) == follows
        assert db.session.scalar(select(func.count(Performance.id))) == performances
        assert db.session.scalar(select(func.count(Room.id))) > 0


def test_the_demo_streak_runs_whatever_the_time_of_day():
    """Seeded at any moment, Mina's closed performances fall on consecutive local days.

    Seeding at "now minus whole days" broke this near midnight in Korea, when turns five
    minutes apart fell on two days.
    """
    zone = user_zone(None)
    for step in range(24 * 12):
        now = datetime(2026, 12, 1, tzinfo=UTC) + timedelta(minutes=5 * step)
        closed = [
            turn_opens(batch_start(now, days_ago, len(names)), names.index("mina") + 1)
            + timedelta(minutes=4)
            for days_ago, _category, names in BATCHES
            if "mina" in names
        ]
        assert max(closed) < now
        current, _best = streaks(local_days(closed, zone), now.astimezone(zone).date())
        assert current >= 5, f"seeded at {now:%H:%M} UTC: a streak of {current}"
