"""Demo history: enough ranked shows for several board pages, and a second run adds nothing."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from app.database import utcnow
from app.demo import history, people
from app.extensions import db
from app.models import Performance, User
from app.services import leaderboard


def test_history_fills_several_pages_once(app):
    with app.test_request_context():
        people.seed()
        summary = history.seed()
        db.session.commit()
        assert summary.startswith("history: 96 crowd members")
        counts = (
            db.session.scalar(select(func.count(User.id))),
            db.session.scalar(select(func.count(Performance.id))),
        )
        assert history.seed() == "history: already seeded"
        db.session.commit()
        assert counts == (
            db.session.scalar(select(func.count(User.id))),
            db.session.scalar(select(func.count(Performance.id))),
        )
        assert leaderboard.refresh().refreshed
        first = leaderboard.page("all", None, 1, None)
        assert first.total > 3 * first.page_size and first.has_next
        week_start, _end = leaderboard.week_window(utcnow())
        if utcnow() - week_start > timedelta(hours=6):
            assert leaderboard.page("week", None, 1, None).rows, "this week has shows too"
        assert not leaderboard.page("all", None, 1, None).rows[0].user.username.startswith(" ")
