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
from redis.commands.core import Script

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
        self._lines: dict[tuple[str, str], deque[tuple[float, str]]] = {}
        self._repeats: dict[tuple[str, str, str], tuple[float, str]] = {}

    def hit(
        self, holder: str, scope: str, digest: str, client_id: str, now: float, rule: FloodLimits
    ) -> None:
        """Record one line, or raise when it breaks a flood rule (a retry is not a new line)."""
        with self._lock:
            lines = self._lines.setdefault((holder, scope), deque())
            while lines and lines[0][0] <= now - rule.seconds:
                lines.popleft()
            if any(cid == client_id for _, cid in lines):
                return
            if len(lines) >= rule.lines:
                raise Flooding(retry_after=max(1, math.ceil(lines[0][0] + rule.seconds - now)))
            repeat_key = (holder, scope, digest)
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


# One round trip, atomic: trim the window; a line already in it (a retry) passes; past the
# line limit or a repeat of another post's line is refused with the seconds to wait;
# otherwise claim the repeat key and count the line.
# KEYS: the window, the repeat key. ARGV: now, client id, window s, lines, repeat s.
# Returns {0} (stored or a retry), {1, wait} (flooding) or {2, wait} (a repeat).
_FLOOD_SCRIPT = """
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], 0, now - window)
if redis.call('ZSCORE', KEYS[1], ARGV[2]) then
  return {0}
end
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[4]) then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return {1, math.max(1, math.ceil(tonumber(oldest[2]) + window - now))}
end
local owner = redis.call('GET', KEYS[2])
if owner and owner ~= ARGV[2] then
  return {2, math.max(1, redis.call('TTL', KEYS[2]))}
end
redis.call('SET', KEYS[2], ARGV[2], 'NX', 'EX', ARGV[5])
redis.call('ZADD', KEYS[1], now, ARGV[2])
redis.call('EXPIRE', KEYS[1], window + 1)
return {0}
"""


_script: Script | None = None


def _flood_script(client: redis.Redis) -> Script:
    """The rule's script object, made once per process: making one hashes the script.

    Each call passes the client it runs on; the client it was first made with only lends
    its encoder to the hash.
    """
    global _script
    if _script is None:
        _script = client.register_script(_FLOOD_SCRIPT)
    return _script


def _redis_flood(
    client: redis.Redis, holder: str, scope: str, digest: str, client_id: str, rule: FloodLimits
) -> None:
    """Record one line in Redis (shared by every process), or raise on a flood rule.

    Lines are counted by client id, so a retried post (same id) is never a new line. The
    whole rule is one server-side script: one round trip, and no other process can store
    the same line between the check and the claim.
    """
    keys = [
        redis_key("chat", "flood", scope, holder),
        redis_key("chat", "repeat", scope, holder, digest),
    ]
    args = [repr(time.time()), client_id, rule.seconds, rule.lines, rule.repeat_seconds]
    verdict = _flood_script(client)(keys=keys, args=args, client=client)
    if verdict[0] == 1:
        raise Flooding(retry_after=int(verdict[1]))
    if verdict[0] == 2:
        raise RepeatedLine(retry_after=int(verdict[1]))


def flood_holder(user_id: int, token: str) -> str:
    """Whose window a line counts in: the user, under their current session token.

    The flood step runs before the post's statement checks the session (chat/persist.py),
    so a cookie from before a sign-out everywhere must not spend its user's window: its
    old token names another one. (Signing in again after signing out starts a fresh
    window; that takes a sign-in, which has limits of its own.) A digest, so the token
    itself is never a Redis key.
    """
    return f"{user_id}.{hashlib.sha256(token.encode()).hexdigest()[:12]}"


def check_flood(user_id: int, token: str, scope: str, body: str, client_id: str) -> None:
    """Refuse a line past the flood limit in `scope` (a room or a conversation), or a repeat."""
    rule = flood_limits()
    holder = flood_holder(user_id, token)
    digest = hashlib.sha256(body.casefold().encode()).hexdigest()[:20]
    client = redis_client()
    if client is not None:
        try:
            _redis_flood(client, holder, scope, digest, client_id, rule)
            return
        except redis.RedisError:
            log.warning("flood check fell back to this process: Redis is unavailable")
    _local_flood().hit(holder, scope, digest, client_id, time.monotonic(), rule)
