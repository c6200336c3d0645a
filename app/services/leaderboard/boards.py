"""Leaderboard values and the boards there are: periods, categories and week windows.

Scores are kept in hundredths (an average of 8.33 counts as 833) so sums and ties are exact.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import cached_property
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import lazy_gettext as _l

from app.services.errors import InvalidInput

log = logging.getLogger(__name__)

PERIODS: tuple[str, ...] = ("all", "week")
MAX_PAGE = 10_000
EMBEDDED_MAX_AGE = timedelta(hours=1)
# The refresh lock lapses this long after its holder stops renewing it (a worker killed
# mid-refresh), so the next refresh can run within half a minute. A live refresh renews it
# every LOCK_RENEW_S seconds, however long it takes.
LOCK_TTL_MS = 30 * 1000
LOCK_RENEW_S = 10.0
STAGING_TTL_S = 60 * 60
# After Redis fails once, skip it for this long so a dead Redis costs one refused connection
# every few seconds instead of one per page view.
REDIS_RETRY_AFTER_S = 5.0
# The degraded database query must never hold a page hostage.
DEGRADED_STATEMENT_TIMEOUT_MS = 2000
# Staging batches sent per round trip; each ZADD still carries at most LEADERBOARD_BATCH_SIZE.
BATCHES_PER_ROUND_TRIP = 4

NOTICE_DEGRADED = _l("Live rankings are unavailable right now; this is a quick estimate.")
NOTICE_PREPARING = _l("Rankings are being prepared; this is a quick estimate.")
NOTICE_UNAVAILABLE = _l("Rankings are unavailable right now. Please try again shortly.")


# ---------------------------------------------------------------------------------- values


@dataclass(frozen=True)
class Board:
    """One ranking: a period (all-time or this week), optionally narrowed to a category."""

    period: str
    category: str | None = None

    @property
    def name(self) -> str:
        """Return the board's key name: `all`, `week`, `all:karaoke`, `week:karaoke`."""
        return self.period if self.category is None else f"{self.period}:{self.category}"


@dataclass(frozen=True)
class RankEntry:
    """A user's place on a board, and where they stood after the previous refresh."""

    user_id: int
    rank: int
    score_cents: int
    previous_rank: int | None = None

    @property
    def score(self) -> Decimal:
        """Return the cumulative score with its two decimals."""
        return (Decimal(self.score_cents) / 100).quantize(Decimal("0.01"))

    @property
    def change(self) -> int | None:
        """Return places gained (positive) or lost since the previous refresh; None if new."""
        return None if self.previous_rank is None else self.previous_rank - self.rank


@dataclass(frozen=True)
class BoardUser:
    """What a board shows of a person."""

    id: int
    username: str
    display_name: str
    avatar_filename: str | None


@dataclass(frozen=True)
class BoardRow:
    """A rank entry with the display data of its user."""

    entry: RankEntry
    user: BoardUser | None


# Given a page's user ids, their display data (one query for the page).
UsersLoader = Callable[[list[int]], Mapping[int, BoardUser]]


@dataclass
class BoardPage:
    """What a leaderboard page shows: a page of rows, the viewer's own rank and freshness."""

    board: Board
    page: int
    page_size: int
    entries: list[RankEntry]
    has_next: bool
    total: int | None
    viewer: RankEntry | None
    updated_at: datetime | None
    source: str  # "cache", "memory" or "database"
    # Called once, on the first use of `rows`.
    load_users: UsersLoader = field(repr=False, compare=False)
    notice: str | None = None
    week_start: date | None = None
    show_changes: bool = True

    @cached_property
    def rows(self) -> list[BoardRow]:
        """The entries with their users' display data, loaded on first use.

        Most views of a board page take its rendered list from the store of rendered rows
        (app/blueprints/leaderboard/rows.py) and never read the rows: they skip the users'
        query.
        """
        users = self.load_users([entry.user_id for entry in self.entries])
        return [BoardRow(entry, users.get(entry.user_id)) for entry in self.entries]

    @property
    def pages(self) -> int | None:
        """Return the number of pages, when the total is known."""
        if self.total is None:
            return None
        return max(1, -(-self.total // self.page_size))


@dataclass
class RefreshResult:
    """What a refresh did: whether it ran, when, how many boards and members, how long."""

    refreshed: bool
    at: datetime | None = None
    boards: int = 0
    members: int = 0
    seconds: float = 0.0
    reason: str | None = None
    phases: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict:
        """Return a JSON-friendly summary (the task's result)."""
        return {
            "status": "refreshed" if self.refreshed else "skipped",
            "at": self.at.isoformat() if self.at else None,
            "boards": self.boards,
            "members": self.members,
            "seconds": round(self.seconds, 3),
            "reason": self.reason,
            "phases": {name: round(value, 3) for name, value in self.phases.items()},
        }


class CacheUnavailable(Exception):
    """The configured cache could not be read; the caller falls back to the database."""


# ------------------------------------------------------------------------------ the boards


def categories() -> tuple[str, ...]:
    """Return the configured room categories, each of which has its own boards."""
    return tuple(key for key, _label in current_app.config["ROOM_CATEGORIES"])


def all_boards() -> list[Board]:
    """Return every board a refresh writes."""
    return [Board(period, cat) for period in PERIODS for cat in (None, *categories())]


def board_for(period: str | None, category: str | None) -> Board:
    """Return the board for query values, or raise InvalidInput for unknown ones."""
    period = period or "all"
    if period not in PERIODS:
        raise InvalidInput(str(_l("Unknown period.")), field="period")
    if category in (None, ""):
        return Board(period)
    if category not in categories():
        raise InvalidInput(str(_l("Unknown category.")), field="category")
    return Board(period, category)


def week_window(now: datetime) -> tuple[datetime, datetime]:
    """Return the UTC bounds [start, end) of the ISO week holding `now` in the board's zone."""
    zone = ZoneInfo(current_app.config["LEADERBOARD_TIMEZONE"])
    local = now.astimezone(zone)
    monday = local.date() - timedelta(days=local.isoweekday() - 1)
    start = datetime(monday.year, monday.month, monday.day, tzinfo=zone)
    end = start + timedelta(days=7)
    return start.astimezone(UTC), end.astimezone(UTC)


def week_label(now: datetime) -> str:
    """Return the ISO week of `now` in the board's zone, e.g. `2026-W47`."""
    local = now.astimezone(ZoneInfo(current_app.config["LEADERBOARD_TIMEZONE"]))
    year, week, _day = local.isocalendar()
    return f"{year}-W{week:02d}"


@dataclass
class _Read:
    """One consistent read of a board: page entries, total, viewer, freshness."""

    entries: list[RankEntry]
    total: int
    viewer: RankEntry | None
    updated_at: datetime | None
    week: str | None
    previous_week: str | None
