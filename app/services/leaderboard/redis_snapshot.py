"""The Redis snapshot: staged in batches, swapped in atomically, read with one script.

The previous snapshot is kept, so each rank can show how it moved.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from datetime import datetime

import redis
from flask import current_app

from app.database import utcnow
from app.realtime.broadcast import emit_now
from app.realtime.events import LEADERBOARD_REFRESHED
from app.redis_store import redis_client, redis_key
from app.services.leaderboard.boards import (
    BATCHES_PER_ROUND_TRIP,
    LOCK_RENEW_S,
    LOCK_TTL_MS,
    REDIS_RETRY_AFTER_S,
    STAGING_TTL_S,
    Board,
    CacheUnavailable,
    RankEntry,
    RefreshResult,
    _Read,
    all_boards,
    week_label,
)
from app.services.leaderboard.compute import compute_boards

log = logging.getLogger(__name__)

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


_EXTEND_LOCK = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""


class _LockKeeper:
    """Renews the refresh lock while this process computes, and only while it lives.

    A worker killed mid-refresh (kill -9, OOM) stops renewing, so its lock lapses within
    LOCK_TTL_MS and the next refresh runs; a slow but live refresh keeps its lock.
    """

    def __init__(self, client: redis.Redis, lock: str, token: str) -> None:
        extend = _script(client, "extend", _EXTEND_LOCK)
        self._stop = threading.Event()

        def run() -> None:
            while not self._stop.wait(LOCK_RENEW_S):
                try:
                    extend(keys=[lock], args=[token, LOCK_TTL_MS], client=client)
                except redis.RedisError as error:  # the swap's WATCH catches a lost lock
                    log.warning("could not renew the leaderboard lock: %s", error)

        self._thread = threading.Thread(target=run, name="leaderboard-lock", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop renewing (the lock is released or left to lapse by the caller)."""
        self._stop.set()


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
    keeper = _LockKeeper(client, lock, token)
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
        keeper.stop()
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
