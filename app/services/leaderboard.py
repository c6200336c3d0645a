"""Leaderboards: computed from closed ranked performances by a scheduled job, read from a cache.

A refresh aggregates once (streamed, grouped by performer and category), writes every board
into a staging sorted set in batches, and swaps all boards in at once, keeping the previous
snapshot so each rank can show how it moved. Page views only read the snapshot: Redis sorted
sets when REDIS_URL is set, or an in-process snapshot in the embedded mode (refreshed lazily
once it is older than an hour). When Redis is configured but unreachable, or holds no
snapshot yet, a page is computed from the database with a bounded query and a notice.

Scores are kept in hundredths (an average of 8.33 counts as 833) so sums and ties are exact.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import redis
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import Integer, cast, func, select, text

from app.database import utcnow
from app.extensions import db
from app.models import Performance, User
from app.realtime.broadcast import emit_now
from app.realtime.events import LEADERBOARD_REFRESHED
from app.redis_store import redis_client, redis_key
from app.services.errors import InvalidInput

log = logging.getLogger(__name__)

PERIODS: tuple[str, ...] = ("all", "week")
MAX_PAGE = 10_000
EMBEDDED_MAX_AGE = timedelta(hours=1)
LOCK_TTL_MS = 15 * 60 * 1000
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


@dataclass
class BoardPage:
    """What a leaderboard page shows: a page of rows, the viewer's own rank and freshness."""

    board: Board
    page: int
    page_size: int
    rows: list[BoardRow]
    has_next: bool
    total: int | None
    viewer: RankEntry | None
    updated_at: datetime | None
    source: str  # "cache", "memory" or "database"
    notice: str | None = None
    week_start: date | None = None
    show_changes: bool = True

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


# ------------------------------------------------------------------------- Redis snapshot

_READ_PAGE = """
local cur, prev, meta = KEYS[1], KEYS[2], KEYS[3]
local start, stop, viewer = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3]
local function rank_in(key, score)
  return redis.call('ZCOUNT', key, '(' .. score, '+inf') + 1
end
local function previous(member)
  local score = redis.call('ZSCORE', prev, member)
  if score then return rank_in(prev, score) end
  return 0
end
local head = redis.call('HMGET', meta, 'at', 'week', 'previous_week')
local out = {head[1] or '', head[2] or '', head[3] or '', redis.call('ZCARD', cur)}
local vscore = false
if viewer ~= '' then vscore = redis.call('ZSCORE', cur, viewer) end
if vscore then
  table.insert(out, vscore)
  table.insert(out, rank_in(cur, vscore))
  table.insert(out, previous(viewer))
else
  table.insert(out, '')
  table.insert(out, 0)
  table.insert(out, 0)
end
if stop >= start then
  local page = redis.call('ZREVRANGE', cur, start, stop, 'WITHSCORES')
  for i = 1, #page, 2 do
    table.insert(out, page[i])
    table.insert(out, page[i + 1])
    table.insert(out, rank_in(cur, page[i + 1]))
    table.insert(out, previous(page[i]))
  end
end
return out
"""

_RELEASE_LOCK = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


def _keys(board: Board) -> tuple[str, str]:
    """Return the current and previous sorted-set keys of `board`."""
    return redis_key("lb", "cur", board.name), redis_key("lb", "prev", board.name)


def _meta_key() -> str:
    """Return the hash key holding when the snapshots were made."""
    return redis_key("lb", "meta")


def _lock_key() -> str:
    """Return the key of the single-flight refresh lock."""
    return redis_key("lb", "lock")


def _redis_state() -> dict:
    """Return this app's per-process Redis health memo."""
    return current_app.extensions.setdefault("encore_leaderboard_redis", {"down_until": 0.0})


def _usable_redis() -> redis.Redis | None:
    """Return the Redis client unless it failed moments ago; raise CacheUnavailable then."""
    client = redis_client()
    if client is None:
        return None
    if _redis_state()["down_until"] > time.monotonic():
        raise CacheUnavailable("redis failed recently")
    return client


def _mark_redis_down(error: Exception) -> None:
    """Remember that Redis failed, so the next few views go straight to the fallback."""
    log.warning("leaderboard cache unreachable: %s", error)
    _redis_state()["down_until"] = time.monotonic() + REDIS_RETRY_AFTER_S


def _script(client: redis.Redis, name: str, source: str):
    """Return a registered Lua script, cached per client."""
    scripts = current_app.extensions.setdefault("encore_leaderboard_scripts", {})
    key = (id(client), name)
    if key not in scripts:
        scripts[key] = client.register_script(source)
    return scripts[key]


@dataclass
class _Read:
    """One consistent read of a board: page entries, total, viewer, freshness."""

    entries: list[RankEntry]
    total: int
    viewer: RankEntry | None
    updated_at: datetime | None
    week: str | None
    previous_week: str | None


def _redis_read(client: redis.Redis, board: Board, start: int, stop: int, viewer_id: int | None):
    """Read a page of `board` and the viewer's rank in one atomic script call."""
    cur, prev = _keys(board)
    raw = _script(client, "read", _READ_PAGE)(
        keys=[cur, prev, _meta_key()],
        args=[start, stop, "" if viewer_id is None else viewer_id],
        client=client,
    )
    at, week, previous_week, total = raw[0], raw[1], raw[2], int(raw[3])
    viewer = None
    if raw[4] != "" and viewer_id is not None:
        viewer = RankEntry(viewer_id, int(raw[5]), int(float(raw[4])), int(raw[6]) or None)
    entries = [
        RankEntry(int(raw[i]), int(raw[i + 2]), int(float(raw[i + 1])), int(raw[i + 3]) or None)
        for i in range(7, len(raw), 4)
    ]
    return _Read(
        entries,
        total,
        viewer,
        datetime.fromisoformat(at) if at else None,
        week or None,
        previous_week or None,
    )


def _stage(client: redis.Redis, token: str, board: Board, members: dict[int, int]) -> str:
    """Write `members` into a staging sorted set in bounded batches; return its key."""
    staging = redis_key("lb", "tmp", token, board.name)
    size = current_app.config["LEADERBOARD_BATCH_SIZE"]
    items = list(members.items())
    for first in range(0, len(items), size * BATCHES_PER_ROUND_TRIP):
        pipe = client.pipeline(transaction=False)
        for offset in range(first, min(first + size * BATCHES_PER_ROUND_TRIP, len(items)), size):
            # Flat score/member arguments skip redis-py's per-pair mapping work (~30% faster).
            flat = [value for uid, cents in items[offset : offset + size] for value in (cents, uid)]
            pipe.execute_command("ZADD", staging, *flat)
        pipe.expire(staging, STAGING_TTL_S)
        pipe.execute()
    return staging


def _swap(client: redis.Redis, token: str, staged: dict[str, str], meta: dict[str, str]) -> bool:
    """Swap every staged board in at once, keeping the current one as previous.

    The lock key is watched, so a refresh whose lock expired meanwhile swaps nothing.
    """
    lock = _lock_key()
    with client.pipeline() as pipe:
        try:
            pipe.watch(lock)
            if pipe.get(lock) != token:
                return False
            boards = all_boards()
            current = [_keys(board)[0] for board in boards]
            exists = [bool(pipe.exists(key)) for key in current]
            old_meta = pipe.hgetall(_meta_key())
            pipe.multi()
            for board, has_current in zip(boards, exists, strict=True):
                cur, prev = _keys(board)
                # UNLINK frees the oldest snapshot off the main thread; RENAME is O(1) then.
                pipe.unlink(prev)
                if has_current:
                    pipe.rename(cur, prev)
                if board.name in staged:
                    pipe.rename(staged[board.name], cur)
                    pipe.persist(cur)
            pipe.hset(
                _meta_key(),
                mapping={
                    **meta,
                    "previous_at": old_meta.get("at", ""),
                    "previous_week": old_meta.get("week", ""),
                },
            )
            pipe.execute()
            return True
        except redis.WatchError:
            return False


def _refresh_redis(client: redis.Redis, now: datetime) -> RefreshResult:
    """Recompute every board into Redis under the single-flight lock."""
    token = secrets.token_hex(16)
    lock = _lock_key()
    if not client.set(lock, token, nx=True, px=LOCK_TTL_MS):
        return RefreshResult(refreshed=False, reason="another refresh is running")
    started = time.perf_counter()
    staged: dict[str, str] = {}
    swapped = False
    phases: dict[str, float] = {}
    try:
        computed = compute_boards(now)
        phases["aggregate"] = time.perf_counter() - started
        for board in all_boards():
            if computed[board.name]:
                staged[board.name] = _stage(client, token, board, computed[board.name])
        phases["stage"] = time.perf_counter() - started - phases["aggregate"]
        at = utcnow()
        seconds = time.perf_counter() - started
        members = len(computed["all"])
        swapped = _swap(
            client,
            token,
            staged,
            {
                "at": at.isoformat(),
                "week": week_label(now),
                "seconds": f"{seconds:.3f}",
                "members": str(members),
            },
        )
        phases["swap"] = time.perf_counter() - started - seconds
        if not swapped:
            return RefreshResult(refreshed=False, reason="the lock expired before the swap")
    finally:
        if not swapped and staged:
            client.unlink(*staged.values())
        _script(client, "release", _RELEASE_LOCK)(keys=[lock], args=[token], client=client)
    emit_now(LEADERBOARD_REFRESHED, {"at": at.isoformat()}, to="leaderboard")
    return RefreshResult(
        True, at, len(staged), members, time.perf_counter() - started, None, phases
    )


def refresh_running() -> bool:
    """Tell whether a refresh holds the lock right now (always False in embedded mode)."""
    client = redis_client()
    return bool(client is not None and client.exists(_lock_key()))


# ---------------------------------------------------------------------- embedded snapshot


@dataclass
class _MemoryBoard:
    """A board held in process: ranked entries and an index by user."""

    entries: list[RankEntry]
    by_user: dict[int, RankEntry]


@dataclass
class _MemorySnapshot:
    """The embedded mode's snapshot: current and previous boards, with their times."""

    boards: dict[str, _MemoryBoard] = field(default_factory=dict)
    previous: dict[str, _MemoryBoard] = field(default_factory=dict)
    at: datetime | None = None
    week: str | None = None
    previous_week: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


def _memory() -> _MemorySnapshot:
    """Return this app's in-process snapshot."""
    return current_app.extensions.setdefault("encore_leaderboard_memory", _MemorySnapshot())


def _refresh_memory(now: datetime, *, blocking: bool = True) -> RefreshResult:
    """Recompute every board into the in-process snapshot, one refresh at a time."""
    snapshot = _memory()
    if not snapshot.lock.acquire(blocking=blocking):
        return RefreshResult(refreshed=False, reason="another refresh is running")
    try:
        started = time.perf_counter()
        computed = compute_boards(now)
        boards = {}
        for name, members in computed.items():
            entries = ranked(members)
            boards[name] = _MemoryBoard(entries, {e.user_id: e for e in entries})
        snapshot.previous, snapshot.boards = snapshot.boards, boards
        snapshot.previous_week, snapshot.week = snapshot.week, week_label(now)
        snapshot.at = utcnow()
        seconds = time.perf_counter() - started
    finally:
        snapshot.lock.release()
    emit_now(LEADERBOARD_REFRESHED, {"at": snapshot.at.isoformat()}, to="leaderboard")
    return RefreshResult(True, snapshot.at, len(boards), len(computed["all"]), seconds)


def _memory_read(board: Board, start: int, stop: int, viewer_id: int | None) -> _Read:
    """Read a page of `board` from the in-process snapshot, refreshing it when stale."""
    snapshot = _memory()
    if snapshot.at is None or utcnow() - snapshot.at > EMBEDDED_MAX_AGE:
        # The first view waits for a snapshot; later ones keep the old one while another
        # thread refreshes.
        _refresh_memory(utcnow(), blocking=snapshot.at is None)
    current = snapshot.boards.get(board.name) or _MemoryBoard([], {})
    previous = snapshot.previous.get(board.name) or _MemoryBoard([], {})

    def with_previous(entry: RankEntry) -> RankEntry:
        before = previous.by_user.get(entry.user_id)
        return RankEntry(entry.user_id, entry.rank, entry.score_cents, before and before.rank)

    viewer = current.by_user.get(viewer_id) if viewer_id is not None else None
    return _Read(
        [with_previous(e) for e in current.entries[start : stop + 1]],
        len(current.entries),
        with_previous(viewer) if viewer else None,
        snapshot.at,
        snapshot.week,
        snapshot.previous_week,
    )


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


# ---------------------------------------------------------------------------- public API


def refresh(now: datetime | None = None) -> RefreshResult:
    """Recompute every board and swap it in; a second concurrent run skips without work."""
    now = now or utcnow()
    client = redis_client()
    if client is None:
        return _refresh_memory(now, blocking=False)
    return _refresh_redis(client, now)


def _read(board: Board, start: int, stop: int, viewer_id: int | None) -> tuple[_Read, str]:
    """Read from the configured snapshot; raise CacheUnavailable when Redis cannot answer."""
    client = _usable_redis()
    if client is None:
        return _memory_read(board, start, stop, viewer_id), "memory"
    try:
        return _redis_read(client, board, start, stop, viewer_id), "cache"
    except redis.RedisError as error:
        _mark_redis_down(error)
        raise CacheUnavailable(str(error)) from error


def _request_refresh() -> None:
    """Queue one refresh for a worker when Redis holds no snapshot (a fresh deployment).

    A short-lived marker key makes sure a burst of page views queues it once.
    """
    client = redis_client()
    try:
        if client is None or not client.set(redis_key("lb", "kick"), "1", nx=True, ex=300):
            return
        current_app.extensions["celery"].send_task("app.tasks.leaderboard.refresh_leaderboards")
    except Exception:  # the page still renders from the database
        log.exception("could not queue a leaderboard refresh")


def _users(ids: list[int]) -> dict[int, BoardUser]:
    """Load the display data of a page of users with one query."""
    if not ids:
        return {}
    rows = db.session.execute(
        select(User.id, User.username, User.display_name, User.avatar_filename).where(
            User.id.in_(ids)
        )
    )
    return {row.id: BoardUser(*row) for row in rows}


def page(
    period: str | None = "all",
    category: str | None = None,
    page_number: int = 1,
    viewer_id: int | None = None,
) -> BoardPage:
    """Return one page of a board with the viewer's rank; never aggregates when cached."""
    board = board_for(period, category)
    if not 1 <= page_number <= MAX_PAGE:
        raise InvalidInput(str(_l("That page does not exist.")), field="page")
    size = current_app.config["LEADERBOARD_PAGE_SIZE"]
    start = (page_number - 1) * size
    now = utcnow()
    try:
        read, source = _read(board, start, start + size - 1, viewer_id)
        if read.updated_at is None and source == "cache":
            _request_refresh()
            raise CacheUnavailable("no snapshot yet")
    except CacheUnavailable as why:
        return _degraded_page(board, page_number, size, now, str(why))
    users = _users([e.user_id for e in read.entries])
    return BoardPage(
        board=board,
        page=page_number,
        page_size=size,
        rows=[BoardRow(e, users.get(e.user_id)) for e in read.entries],
        has_next=start + size < read.total,
        total=read.total,
        viewer=read.viewer,
        updated_at=read.updated_at,
        source=source,
        # The snapshot's own week, so a board made before Monday's refresh says so.
        week_start=_week_start(read.week, now),
        # Without a previous snapshot every row would say NEW; and a new week starts every
        # weekly board afresh, so last week's places say nothing about it.
        show_changes=read.previous_week is not None
        and (board.period == "all" or read.week == read.previous_week),
    )


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
        rows=[BoardRow(e, users.get(e.user_id)) for e in entries],
        has_next=has_next,
        total=None,
        viewer=None,
        updated_at=None,
        source="database",
        notice=str(notice),
        week_start=_week_start(None, now),
        show_changes=False,
    )


def rank_of(user_id: int, period: str = "all", category: str | None = None) -> RankEntry | None:
    """Return `user_id`'s place on a board from the snapshot, or None (unranked or no cache)."""
    board = board_for(period, category)
    try:
        read, _source = _read(board, 0, -1, user_id)
    except CacheUnavailable:
        return None
    return read.viewer


def updated_at() -> datetime | None:
    """Return when the current snapshot was made, or None when there is none (or no cache)."""
    try:
        read, _source = _read(Board("all"), 0, -1, None)
    except CacheUnavailable:
        return None
    return read.updated_at
