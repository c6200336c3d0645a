"""Login attempt limits that hold under concurrency, and the devices that skip them.

Each attempt is counted *before* the password is checked, with one atomic increment
(Redis INCR, or a locked counter in the single embedded process), so forty parallel
guesses get forty distinct counts and all but the first few are refused. A success
gives its count back. A browser that has signed in to an account before carries a
signed device cookie; its attempts for that account count against the device instead
of the username and the address, so strangers hammering a name cannot lock its owner out.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass

import redis
from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from limits import parse

from app.redis_store import redis_client, redis_key
from app.services.errors import TooMany

DEVICE_COOKIE = "encore_device"
DEVICE_MAX_AGE = 365 * 24 * 3600


@dataclass(frozen=True)
class Device:
    """A browser that signed in to `user_id` before, under its own random id."""

    user_id: int
    device_id: str


@dataclass(frozen=True)
class Attempt:
    """The counters one login attempt was charged to, so a success can give them back."""

    keys: tuple[tuple[str, int], ...]


class MemoryCounter:
    """Fixed-window counters for the embedded single process; a lock makes them atomic."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[str, tuple[int, float]] = {}

    def incr(self, key: str, period: int, amount: int = 1) -> tuple[int, int]:
        """Add `amount` to `key` in its window; return the new count and seconds left."""
        now = time.time()
        with self._lock:
            count, expires = self._counts.get(key, (0, now + period))
            if expires <= now:
                count, expires = 0, now + period
            count = max(0, count + amount)
            self._counts[key] = (count, expires)
            return count, max(1, int(expires - now))


def _memory() -> MemoryCounter:
    """Return this app's in-process counters (without Redis, or while it is away)."""
    return current_app.extensions.setdefault("encore_login_attempts", MemoryCounter())


def _incr(key: str, period: int, amount: int = 1) -> tuple[int, int]:
    """Atomically add `amount` to a counter whose window opens at its first attempt.

    Returns the new count and the seconds until the window closes.
    """
    client = redis_client()
    if client is None:
        return _memory().incr(key, period, amount)
    full = redis_key("login", key)
    try:
        with client.pipeline() as pipe:  # MULTI/EXEC: the increment and its expiry go together
            pipe.incrby(full, amount)
            pipe.expire(full, period, nx=True)
            pipe.ttl(full)
            count, _, ttl = pipe.execute()
        if int(count) <= 0 and amount < 0:
            # A give-back after the window closed must not leave a credit behind.
            client.delete(full)
    except redis.RedisError:
        # Redis is away: count on this process, as the rate limiter does, rather than lock
        # everyone out or answer 500. The limits hold per process until Redis returns.
        return _memory().incr(key, period, amount)
    return int(count), max(1, int(ttl))


def _limits(device: bool) -> list[tuple[str, str]]:
    """Return (bucket, limit string) pairs that apply to a device or to a stranger."""
    config = current_app.config
    if device:
        return [("device", config["LOGIN_LIMIT_PER_DEVICE"])]
    return [("user", config["LOGIN_LIMIT_PER_USERNAME"]), ("ip", config["LOGIN_LIMIT_PER_IP"])]


def charge(username: str, address: str, device: Device | None, user_id: int | None) -> Attempt:
    """Count one attempt; raise TooMany when any of its limits is already spent.

    `device` is what the browser's device cookie vouches for; when it names the account
    being tried, the attempt counts against that device only.
    """
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return Attempt(())  # benchmarks switch every limit off together
    trusted = device is not None and device.user_id == user_id
    name = (username or "").strip().lower()[:40]
    ids = {"device": device.device_id if device else "", "user": name, "ip": address}
    charged: list[tuple[str, int]] = []
    refused_for = 0
    for bucket, text in _limits(trusted):
        item = parse(text)
        period = item.get_expiry()
        key = f"{bucket}:{ids[bucket]}"
        charged.append((key, period))
        count, left = _incr(key, period)
        if count > item.amount:
            refused_for = max(refused_for, left)
    if refused_for:
        raise TooMany(retry_after=refused_for)
    return Attempt(tuple(charged))


def succeeded(attempt: Attempt) -> None:
    """Give back the counts of an attempt that signed someone in: successes never lock."""
    for key, period in attempt.keys:
        _incr(key, period, -1)


def _serializer() -> URLSafeTimedSerializer:
    """Return the signer for device cookies (the app secret, its own salt)."""
    return URLSafeTimedSerializer(current_app.secret_key, salt="encore-login-device")


def device_cookie_value(user_id: int) -> str:
    """Return a signed device cookie value that vouches for `user_id` on this browser."""
    return _serializer().dumps({"u": user_id, "d": secrets.token_urlsafe(12)})


def read_device(cookie: str | None) -> Device | None:
    """Return what a device cookie vouches for, or None when it is missing, old or forged."""
    if not cookie:
        return None
    try:
        data = _serializer().loads(cookie, max_age=DEVICE_MAX_AGE)
    except BadSignature:
        return None
    if not isinstance(data, dict):
        return None
    user_id, device_id = data.get("u"), data.get("d")
    if not isinstance(user_id, int) or not isinstance(device_id, str):
        return None
    return Device(user_id, device_id)
