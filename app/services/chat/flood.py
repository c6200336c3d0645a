"""The flood step of a post: at most CHAT_FLOOD_LINES per CHAT_FLOOD_SECONDS in one channel,
and not the same line twice within CHAT_REPEAT_SECONDS (all three in app/config.py).

With Redis every process shares the windows; in the embedded mode one process sees every
post and keeps them in memory.
"""

from __future__ import annotations

import hashlib
import logging
import math
import threading
import time
from collections import deque
from dataclasses import dataclass

import redis
from flask import current_app

from app.redis_store import redis_client, redis_key
from app.services.chat.errors import Flooding, RepeatedLine

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FloodLimits:
    """The three numbers of the flood rule."""

    lines: int
    seconds: int
    repeat_seconds: int


def flood_limits() -> FloodLimits:
    """Return the flood rule configured for the current app."""
    config = current_app.config
    return FloodLimits(
        int(config.get("CHAT_FLOOD_LINES", 5)),
        int(config.get("CHAT_FLOOD_SECONDS", 10)),
        int(config.get("CHAT_REPEAT_SECONDS", 30)),
    )


class LocalFlood:
    """Flood windows for the embedded mode, where one process sees every post."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._lines: dict[tuple[int, str], deque[tuple[float, str]]] = {}
        self._repeats: dict[tuple[int, str, str], tuple[float, str]] = {}

    def hit(
        self, user_id: int, scope: str, digest: str, client_id: str, now: float, rule: FloodLimits
    ) -> None:
        """Record one line, or raise when it breaks a flood rule (a retry is not a new line)."""
        with self._lock:
            lines = self._lines.setdefault((user_id, scope), deque())
            while lines and lines[0][0] <= now - rule.seconds:
                lines.popleft()
            if any(cid == client_id for _, cid in lines):
                return
            if len(lines) >= rule.lines:
                raise Flooding(retry_after=max(1, math.ceil(lines[0][0] + rule.seconds - now)))
            repeat_key = (user_id, scope, digest)
            until, owner = self._repeats.get(repeat_key, (0.0, ""))
            if until > now and owner != client_id:
                raise RepeatedLine(retry_after=max(1, math.ceil(until - now)))
            if len(self._repeats) > 10_000:
                self._repeats = {k: v for k, v in self._repeats.items() if v[0] > now}
            self._repeats[repeat_key] = (now + rule.repeat_seconds, client_id)
            lines.append((now, client_id))


def _local_flood() -> LocalFlood:
    """Return the app's in-process flood windows."""
    return current_app.extensions.setdefault("chat_local_flood", LocalFlood())


def _redis_flood(
    client: redis.Redis, user_id: int, scope: str, digest: str, client_id: str, rule: FloodLimits
) -> None:
    """Record one line in Redis (shared by every process), or raise on a flood rule.

    Lines are counted by client id, so a retried post (same id) is never a new line. The
    common case is two round trips: read the window and claim the repeat key, then add.
    """
    now = time.time()
    lines_key = redis_key("chat", "flood", scope, user_id)
    repeat_key = redis_key("chat", "repeat", scope, user_id, digest)
    pipe = client.pipeline()
    pipe.zremrangebyscore(lines_key, 0, now - rule.seconds)
    pipe.zscore(lines_key, client_id)
    pipe.zrange(lines_key, 0, 0, withscores=True)
    pipe.zcard(lines_key)
    pipe.get(repeat_key)
    pipe.ttl(repeat_key)
    _, seen, oldest, count, owner, ttl = pipe.execute()
    if seen is not None:
        return
    if count >= rule.lines:
        first = oldest[0][1] if oldest else now
        raise Flooding(retry_after=max(1, math.ceil(first + rule.seconds - now)))
    if owner is not None and owner != client_id:
        raise RepeatedLine(retry_after=max(1, int(ttl or 1)))
    pipe = client.pipeline()
    pipe.set(repeat_key, client_id, nx=True, ex=rule.repeat_seconds)
    pipe.zadd(lines_key, {client_id: now})
    pipe.expire(lines_key, rule.seconds + 1)
    claimed, _, _ = pipe.execute()
    if not claimed and client.get(repeat_key) != client_id:
        # Another process stored the same line between the two round trips.
        client.zrem(lines_key, client_id)
        raise RepeatedLine(retry_after=max(1, int(client.ttl(repeat_key) or 1)))


def check_flood(user_id: int, scope: str, body: str, client_id: str) -> None:
    """Refuse a line past the flood limit in `scope` (a room or a conversation), or a repeat."""
    rule = flood_limits()
    digest = hashlib.sha256(body.casefold().encode()).hexdigest()[:20]
    client = redis_client()
    if client is not None:
        try:
            _redis_flood(client, user_id, scope, digest, client_id, rule)
            return
        except redis.RedisError:
            log.warning("flood check fell back to this process: Redis is unavailable")
    _local_flood().hit(user_id, scope, digest, client_id, time.monotonic(), rule)
