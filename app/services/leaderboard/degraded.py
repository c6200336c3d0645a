"""The degraded read: a page computed from the database with a bounded query and a notice,
for when Redis is unreachable or holds no snapshot yet."""

from __future__ import annotations

import logging
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import bindparam, func, select, text

from app.extensions import db
from app.models import Performance, User
from app.services.leaderboard.boards import (
    DEGRADED_STATEMENT_TIMEOUT_MS,
    NOTICE_DEGRADED,
    NOTICE_PREPARING,
    NOTICE_UNAVAILABLE,
    Board,
    BoardPage,
    BoardUser,
    RankEntry,
    week_window,
)
from app.services.leaderboard.compute import _score_column

log = logging.getLogger(__name__)

# ------------------------------------------------------------------ degraded computation


def _database_entries(board: Board, offset: int, limit: int, now: datetime) -> list[RankEntry]:
    """Rank one slice of `board` straight from the database, under a statement timeout."""
    score = func.sum(_score_column()).label("score")
    grouped = (
        select(Performance.performer_id.label("user_id"), score)
        .where(Performance.counts_toward_ranking.is_(True), Performance.average.is_not(None))
        .group_by(Performance.performer_id)
    )
    if board.category is not None:
        grouped = grouped.where(Performance.category == board.category)
    if board.period == "week":
        start, end = week_window(now)
        grouped = grouped.where(Performance.closed_at >= start, Performance.closed_at < end)
    sub = grouped.subquery()
    stmt = (
        select(sub.c.user_id, sub.c.score, func.rank().over(order_by=sub.c.score.desc()))
        .order_by(sub.c.score.desc(), sub.c.user_id)
        .offset(offset)
        .limit(limit)
    )
    postgres = db.engine.dialect.name == "postgresql"
    if postgres:
        db.session.execute(
            text(f"SET LOCAL statement_timeout = {int(DEGRADED_STATEMENT_TIMEOUT_MS)}")
        )
    rows = db.session.execute(stmt).all()
    if postgres:
        db.session.execute(text("SET LOCAL statement_timeout = DEFAULT"))
    return [RankEntry(int(uid), int(rank), int(cents or 0)) for uid, cents, rank in rows]


def _week_start(label: str | None, now: datetime) -> date:
    """Return the Monday of the ISO week `label` (e.g. `2026-W47`), or of `now`'s week."""
    if label:
        year, week = label.split("-W")
        return date.fromisocalendar(int(year), int(week), 1)
    zone = ZoneInfo(current_app.config["LEADERBOARD_TIMEZONE"])
    return week_window(now)[0].astimezone(zone).date()


def _degraded_page(board: Board, page_number: int, size: int, now: datetime, why: str) -> BoardPage:
    """Build a page from a bounded database query, with a notice; never raise."""
    notice = NOTICE_PREPARING if why == "no snapshot yet" else NOTICE_DEGRADED
    try:
        entries = _database_entries(board, (page_number - 1) * size, size + 1, now)
        users = _users([e.user_id for e in entries[:size]])
    except Exception:  # a slow or failing database still gets a page, not a 500
        log.exception("degraded leaderboard query failed")
        db.session.rollback()
        entries, users, notice = [], {}, NOTICE_UNAVAILABLE
    has_next = len(entries) > size
    entries = entries[:size]
    return BoardPage(
        board=board,
        page=page_number,
        page_size=size,
        entries=entries,
        has_next=has_next,
        total=None,
        viewer=None,
        updated_at=None,
        source="database",
        # Loaded above, inside the guard: a failing database still gets a page.
        load_users=lambda _ids: users,
        notice=str(notice),
        week_start=_week_start(None, now),
        show_changes=False,
    )


# Built once: every view of a board names its page of people with it.
_USERS_BY_ID = select(User.id, User.username, User.display_name, User.avatar_filename).where(
    User.id.in_(bindparam("ids", expanding=True))
)


def _users(ids: list[int]) -> dict[int, BoardUser]:
    """Load the display data of a page of users with one query."""
    if not ids:
        return {}
    rows = db.session.execute(_USERS_BY_ID, {"ids": ids})
    return {row.id: BoardUser(*row) for row in rows}
