"""Compute every board from closed ranked performances in one streamed, grouped pass."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import Integer, cast, func, select

from app.database import utcnow
from app.extensions import db
from app.models import Performance
from app.services.leaderboard.boards import RankEntry, all_boards, categories, week_window

log = logging.getLogger(__name__)


def _score_column():
    """Return the SQL expression of a performance's average in exact hundredths."""
    return cast(func.round(Performance.average * 100), Integer)


def _stream_sums(since: datetime | None, until: datetime | None) -> Iterator[tuple[int, str, int]]:
    """Yield (performer, category, hundredths) sums of counted averages, streamed in batches."""
    stmt = (
        select(Performance.performer_id, Performance.category, func.sum(_score_column()))
        .where(Performance.counts_toward_ranking.is_(True), Performance.average.is_not(None))
        .group_by(Performance.performer_id, Performance.category)
    )
    if since is not None:
        stmt = stmt.where(Performance.closed_at >= since, Performance.closed_at < until)
    with db.engine.connect() as conn:
        result = conn.execution_options(stream_results=True, yield_per=5000).execute(stmt)
        for partition in result.partitions():
            for performer_id, category, total in partition:
                yield int(performer_id), category, int(total or 0)


def compute_boards(now: datetime | None = None) -> dict[str, dict[int, int]]:
    """Aggregate every board from the database: board name → {user id: hundredths}."""
    now = now or utcnow()
    known = set(categories())
    boards: dict[str, dict[int, int]] = {board.name: {} for board in all_boards()}
    start, end = week_window(now)
    for period, since, until in (("all", None, None), ("week", start, end)):
        overall = boards[period]
        for user_id, category, cents in _stream_sums(since, until):
            overall[user_id] = overall.get(user_id, 0) + cents
            if category in known:
                boards[f"{period}:{category}"][user_id] = cents
    return boards


def ranked(members: dict[int, int]) -> list[RankEntry]:
    """Order members by score and give ties the same rank (1, 2, 2, 4)."""
    ordered = sorted(members.items(), key=lambda item: (-item[1], item[0]))
    entries: list[RankEntry] = []
    previous_score: int | None = None
    rank = 0
    for position, (user_id, cents) in enumerate(ordered, start=1):
        if cents != previous_score:
            rank, previous_score = position, cents
        entries.append(RankEntry(user_id, rank, cents))
    return entries
