"""The in-process snapshot of the embedded mode (no Redis), refreshed lazily once it is
older than an hour."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app

from app.database import utcnow
from app.realtime.broadcast import emit_now
from app.realtime.events import LEADERBOARD_REFRESHED
from app.services.leaderboard.boards import (
    EMBEDDED_MAX_AGE,
    Board,
    RankEntry,
    RefreshResult,
    _Read,
    week_label,
)
from app.services.leaderboard.compute import compute_boards, ranked

log = logging.getLogger(__name__)

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
