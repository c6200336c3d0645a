"""Shed on time: answer writes with 429 and Retry-After instead of letting them queue.

Counting requests in flight (the chat post gate) notices overload only once requests pile
up inside the app; under eventlet or gevent the queue builds before that, and a post could
wait 15 s. A web process watches two places where time goes before a request does work:

- **The line for the database.** A request holds a pooled connection from its first query
  (loading the signed-in user) to its end, so when more requests arrive than the process
  can serve, they queue for the pool, before the post gate ever sees them. Each request
  therefore takes one of REQUEST_SLOTS first (fewer than the pool holds, so sockets and
  background work always find a connection). A write that has not got one within
  SHED_QUEUE_SECONDS answers 429 with Retry-After; a read waits up to READ_QUEUE_SECONDS,
  then answers 503. Nothing was written either way.
- **The event loop.** A green thread measures how late its loop wakes up. While that lag is
  over SHED_LAG_SECONDS (and for LAG_HOLD_SECONDS after a stall, while the backlog drains)
  every POST, PUT, PATCH and DELETE answers 429 at once.

Both run only under a green-thread server (python wsgi.py); the threading mode of tests and
CLI commands serves one request per thread, with no shared loop or line to fall behind.
Static files and /healthz skip both: they never touch the database.
"""

from __future__ import annotations

import threading
import time

from flask import Flask, current_app, g, request
from flask_babel import lazy_gettext as _l

from app.extensions import socketio
from app.services.errors import TooMany, Unavailable
from app.sessions import serve_as_visitor

TICK_SECONDS = 0.05
# After a stall, keep shedding this long: the requests that queued behind it drain first.
LAG_HOLD_SECONDS = 1.0
_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Endpoints that never touch the database, so they need no slot and are never shed.
_NO_DATABASE = frozenset({"static", "main.healthz"})


class Overloaded(TooMany):
    """The server is running behind; the write was not done and may be retried."""

    default_message = _l("The server is very busy right now. Nothing was changed; try again.")


class Busy(Unavailable):
    """A page waited too long for its turn at the database; it may be asked for again."""

    default_message = _l("The server is very busy right now. Try again in a moment.")


class RequestSlots:
    """How many requests of this process may use the database at once.

    A plain semaphore: under eventlet and gevent the patched one parks the green thread.
    Waiters are woken in the order they came (a newcomer may still take a slot just freed).
    """

    def __init__(self, size: int) -> None:
        self._free = threading.Semaphore(size)

    def take(self, wait: float) -> bool:
        """Take a slot, waiting at most `wait` seconds; tell whether one was taken."""
        return self._free.acquire(timeout=wait)

    def give_back(self) -> None:
        """Return a slot taken with `take`."""
        self._free.release()


class LoopLag:
    """How late this process's event loop runs, measured by a green thread that sleeps."""

    def __init__(self) -> None:
        self.running = False
        self.last_tick = time.monotonic()
        self.spike = 0.0
        self.spike_at = 0.0

    def run(self) -> None:
        """Sleep a tick at a time and record how late each wake-up came."""
        self.running = True
        while True:
            started = time.monotonic()
            socketio.sleep(TICK_SECONDS)
            now = time.monotonic()
            late = now - started - TICK_SECONDS
            self.last_tick = now
            if late >= self.spike or now - self.spike_at > LAG_HOLD_SECONDS:
                self.spike, self.spike_at = late, now

    def current(self) -> float:
        """Return the lag in seconds: a wake-up overdue now, or a recent stall."""
        if not self.running:
            return 0.0
        now = time.monotonic()
        overdue = now - self.last_tick - TICK_SECONDS
        recent = self.spike if now - self.spike_at <= LAG_HOLD_SECONDS else 0.0
        return max(overdue, recent, 0.0)


def loop_lag() -> LoopLag | None:
    """Return this app's lag monitor (None when it has none)."""
    return current_app.extensions.get("encore_loop_lag")


def _refuse(error: type[Overloaded | Busy]) -> None:
    """Raise `error` for a request that must not ask the database anything, not even who
    is signed in (the error page shows a visitor's navigation).

    The visitor is set first: the error's message is translated as it is made, and the
    language of a signed-in person is saved on their row.
    """
    serve_as_visitor()
    raise error(retry_after=int(current_app.config.get("SHED_RETRY_AFTER", 2)))


def shed_late_writes() -> None:
    """Refuse a write with 429 while the loop is behind (a `before_request` hook)."""
    if request.method not in _WRITES:
        return
    bound = current_app.config.get("SHED_LAG_SECONDS", 0)
    monitor = loop_lag()
    if not bound or monitor is None or monitor.current() <= bound:
        return
    _refuse(Overloaded)


def take_request_slot() -> None:
    """Wait briefly for a turn at the database, or shed the request (a `before_request` hook).

    Runs before anything loads the signed-in user, which is a request's first query.
    """
    slots: RequestSlots | None = current_app.extensions.get("encore_request_slots")
    if slots is None or request.endpoint in _NO_DATABASE:
        return
    config = current_app.config
    if request.method in _WRITES:
        if not slots.take(config["SHED_QUEUE_SECONDS"]):
            _refuse(Overloaded)
    elif not slots.take(config["READ_QUEUE_SECONDS"]):
        _refuse(Busy)
    g.encore_request_slot = slots


def give_back_request_slot(_error: BaseException | None) -> None:
    """Return the request's slot once it is over, whatever happened (a teardown hook)."""
    slots = g.pop("encore_request_slot", None)
    if slots is not None:
        slots.give_back()


def init_shedding(app: Flask, async_mode: str) -> None:
    """Install the hooks, ahead of any hook that could load the signed-in user, and under a
    green-thread server size the line for the database. `start_lag_monitor` starts the
    other signal once Socket.IO can run background tasks."""
    app.before_request(shed_late_writes)
    app.before_request(take_request_slot)
    app.teardown_request(give_back_request_slot)
    if async_mode in ("eventlet", "gevent") and app.config.get("SHED_QUEUE_SECONDS"):
        app.extensions["encore_request_slots"] = RequestSlots(app.config["REQUEST_SLOTS"])


def start_lag_monitor(app: Flask, async_mode: str) -> None:
    """Start measuring the event loop's lag when a green-thread server runs the app."""
    if async_mode in ("eventlet", "gevent") and app.config.get("SHED_LAG_SECONDS"):
        monitor = LoopLag()
        app.extensions["encore_loop_lag"] = monitor
        socketio.start_background_task(monitor.run)
