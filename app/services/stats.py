"""Challenge statistics for one person: rooms, completion, streaks, activity and scores.

Definitions (also in docs/people.md):
- rooms joined: rooms where the person holds or held a seat through the show (leaving a
  lobby gives the seat back, so it does not count);
- performances completed: the person's performances whose scoring has closed;
- completion rate: performances completed ÷ joined rooms that went live (live or finished);
- a streak counts consecutive days, in the person's own time zone, with at least one
  completed performance; the current streak is still alive when the last such day is
  today or yesterday;
- cumulative score: the sum of averages that count toward rankings; rank: 1 + the number of
  people whose cumulative score is higher.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cache
from typing import NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Integer, bindparam, case, func, select

from app.database import utcnow
from app.extensions import db
from app.models import Performance, Phase, Room, RoomMember, RoomMode, RoomStatus, User

DEFAULT_TIMEZONE = "Asia/Seoul"
HISTORY_POINTS = 30

# Every statement of a profile is built once with the person as a bound parameter: a
# profile runs six of them per view, and building each anew cost about as much CPU as
# PostgreSQL took to answer it.
_USER_ID = bindparam("user_id", type_=Integer)


# Named tuples, not dataclasses: a profile keeps its charts by these (app/fragment_cache.py),
# and tuples hash and compare in C.
class DayCount(NamedTuple):
    """How many performances were completed on one local day."""

    day: date
    count: int


class ScorePoint(NamedTuple):
    """One ranked average, in the order they happened."""

    at: datetime
    average: Decimal
    room_id: int


@dataclass(frozen=True)
class UserStats:
    """Everything the profile shows about a person's progress."""

    rooms_joined: int
    rooms_went_live: int
    performances_completed: int
    completion_rate: float | None
    current_streak: int
    best_streak: int
    # Tuples, so a page can keep what it draws from them (app/fragment_cache.py).
    last_7_days: tuple[DayCount, ...]
    score_history: tuple[ScorePoint, ...]
    cumulative_score: Decimal
    rank: int | None


def user_zone(name: str | None) -> ZoneInfo:
    """Return the time zone named `name`, falling back to Asia/Seoul."""
    try:
        return ZoneInfo(name or DEFAULT_TIMEZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TIMEZONE)


def local_days(moments: list[datetime], zone: ZoneInfo) -> set[date]:
    """Return the set of local calendar days on which `moments` fall."""
    return {moment.astimezone(zone).date() for moment in moments}


def streaks(days: set[date], today: date) -> tuple[int, int]:
    """Return (current, best) runs of consecutive days in `days`.

    The current run ends today, or yesterday when nothing is done yet today (the streak is
    still alive until the day is over).
    """
    best = run = 0
    previous: date | None = None
    for day in sorted(days):
        run = run + 1 if previous is not None and day - previous == timedelta(days=1) else 1
        best = max(best, run)
        previous = day
    current = 0
    cursor = today if today in days else today - timedelta(days=1)
    while cursor in days:
        current += 1
        cursor -= timedelta(days=1)
    return current, best


def week_activity(moments: list[datetime], zone: ZoneInfo, today: date) -> list[DayCount]:
    """Return the count per local day for the 7 days ending `today`, every day present."""
    counts: dict[date, int] = {}
    for moment in moments:
        day = moment.astimezone(zone).date()
        counts[day] = counts.get(day, 0) + 1
    return [
        DayCount(today - timedelta(days=offset), counts.get(today - timedelta(days=offset), 0))
        for offset in range(6, -1, -1)
    ]


@cache
def _completed_times_statement():
    return select(Performance.closed_at).where(
        Performance.performer_id == _USER_ID,
        Performance.phase == Phase.CLOSED,
        Performance.closed_at.is_not(None),
    )


def completed_times(user_id: int) -> list[datetime]:
    """Return when each of the user's performances closed."""
    return list(db.session.scalars(_completed_times_statement(), {"user_id": user_id}))


@cache
def _score_history_statement(limit: int):
    return (
        select(Performance.closed_at, Performance.average, Performance.room_id)
        .where(
            Performance.performer_id == _USER_ID,
            Performance.counts_toward_ranking.is_(True),
            Performance.average.is_not(None),
            Performance.closed_at.is_not(None),
        )
        .order_by(Performance.closed_at.desc(), Performance.id.desc())
        .limit(limit)
    )


def score_history(user_id: int, limit: int = HISTORY_POINTS) -> list[ScorePoint]:
    """Return the user's latest ranked averages, oldest first."""
    rows = db.session.execute(_score_history_statement(limit), {"user_id": user_id}).all()
    return [ScorePoint(at, Decimal(average), room_id) for at, average, room_id in reversed(rows)]


def cumulative_score(user_id: int) -> Decimal:
    """Return the sum of the user's averages that count toward rankings."""
    return totals(user_id)[2]


def rank_of(user_id: int) -> int | None:
    """Return the user's place on the all-time leaderboard snapshot, or None if unranked.

    Profiles read the same hourly snapshot as /leaderboard, so the two always agree and a
    profile view never aggregates every performer's scores.
    """
    from app.services import leaderboard

    entry = leaderboard.rank_of(user_id)
    return entry.rank if entry is not None else None


@cache
def _totals_statement():
    """Rooms joined, joined rooms that went live and the ranked sum: one statement."""
    went_live = case((Room.status.in_((RoomStatus.LIVE, RoomStatus.FINISHED)), 1))
    ranked_sum = (
        select(func.sum(Performance.average))
        .where(Performance.performer_id == _USER_ID, Performance.counts_toward_ranking.is_(True))
        .scalar_subquery()
    )
    return (
        select(func.count(RoomMember.id), func.count(went_live), ranked_sum)
        .select_from(RoomMember)
        .join(Room, Room.id == RoomMember.room_id)
        .where(RoomMember.user_id == _USER_ID, RoomMember.left_at.is_(None))
    )


def totals(user_id: int) -> tuple[int, int, Decimal]:
    """Return (rooms joined, joined rooms that went live, cumulative score)."""
    joined, went_live, ranked = db.session.execute(_totals_statement(), {"user_id": user_id}).one()
    return int(joined or 0), int(went_live or 0), Decimal(ranked or 0).quantize(Decimal("0.01"))


def user_stats(user_id: int, *, now: datetime | None = None) -> UserStats:
    """Compute every statistic shown on the user's profile."""
    user = db.session.get(User, user_id)
    zone = user_zone(user.timezone if user else None)
    today = (now or utcnow()).astimezone(zone).date()
    times = completed_times(user_id)
    current, best = streaks(local_days(times, zone), today)
    joined, went_live, cumulative = totals(user_id)
    completed = len(times)
    rate = min(1.0, completed / went_live) if went_live else None
    return UserStats(
        rooms_joined=joined,
        rooms_went_live=went_live,
        performances_completed=completed,
        completion_rate=rate,
        current_streak=current,
        best_streak=best,
        last_7_days=tuple(week_activity(times, zone, today)),
        score_history=tuple(score_history(user_id)),
        cumulative_score=cumulative,
        rank=rank_of(user_id),
    )


class RecentShow(NamedTuple):
    """One of a person's latest closed performances, with its room: what a profile lists.

    Plain values, not the two ORM rows, so loading them costs no identity map work and the
    list can key the kept fragment that draws it.
    """

    room_id: int
    title: str
    mode: RoomMode
    average: Decimal | None
    closed_at: datetime | None

    @property
    def is_ranked(self) -> bool:
        """Tell whether the room's averages count toward rankings."""
        return self.mode == RoomMode.RANKED


@cache
def _recent_performances_statement(limit: int):
    return (
        select(Room.id, Room.title, Room.mode, Performance.average, Performance.closed_at)
        .select_from(Performance)
        .join(Room, Room.id == Performance.room_id)
        .where(Performance.performer_id == _USER_ID, Performance.phase == Phase.CLOSED)
        .order_by(Performance.closed_at.desc(), Performance.id.desc())
        .limit(limit)
    )


def recent_performances(user_id: int, limit: int = 8) -> tuple[RecentShow, ...]:
    """Return the user's latest closed performances with their rooms, newest first."""
    rows = db.session.execute(_recent_performances_statement(limit), {"user_id": user_id})
    return tuple(RecentShow(*row) for row in rows)
