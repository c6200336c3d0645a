"""Reading and refreshing the boards: from the configured snapshot, else degraded."""

from __future__ import annotations

import logging
from datetime import datetime

import redis
from flask import current_app
from flask_babel import lazy_gettext as _l

from app.celery_app import send_task
from app.database import utcnow
from app.redis_store import redis_client, redis_key
from app.services.errors import InvalidInput
from app.services.leaderboard.boards import (
    MAX_PAGE,
    Board,
    BoardPage,
    CacheUnavailable,
    RankEntry,
    RefreshResult,
    _Read,
    board_for,
)
from app.services.leaderboard.degraded import _degraded_page, _users, _week_start
from app.services.leaderboard.memory_snapshot import _memory_read, _refresh_memory
from app.services.leaderboard.redis_snapshot import (
    _mark_redis_down,
    _redis_read,
    _refresh_redis,
    _usable_redis,
)

log = logging.getLogger(__name__)

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
        send_task("app.tasks.leaderboard.refresh_leaderboards")
    except Exception:  # the page still renders from the database
        log.exception("could not queue a leaderboard refresh")


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
    return BoardPage(
        board=board,
        page=page_number,
        page_size=size,
        entries=read.entries,
        has_next=start + size < read.total,
        total=read.total,
        viewer=read.viewer,
        updated_at=read.updated_at,
        source=source,
        load_users=_users,
        # The snapshot's own week, so a board made before Monday's refresh says so.
        week_start=_week_start(read.week, now),
        # Without a previous snapshot every row would say NEW; and a new week starts every
        # weekly board afresh, so last week's places say nothing about it.
        show_changes=read.previous_week is not None
        and (board.period == "all" or read.week == read.previous_week),
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
