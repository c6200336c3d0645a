"""Shed on time: answer writes with 429 and Retry-After while the event loop runs late.

Counting requests in flight (the chat post gate) notices overload only once requests pile
up inside the app; under eventlet or gevent the queue builds before that, in front of a
busy event loop, and a post could wait 15 s. So each web process measures how late its
loop wakes a sleeping green thread. While that lag is over SHED_LAG_SECONDS (and for
LAG_HOLD_SECONDS after a stall, while the backlog drains) every POST, PUT, PATCH and
DELETE answers 429 at once, before touching the database. Reads still answer: they are
cheap, and a page is how a person sees that the server is busy.

The monitor runs only under a green-thread server (python wsgi.py); the threading mode of
tests and CLI commands has no shared loop to fall behind.
"""

from __future__ import annotations

import time

from flask import Flask, current_app, request
from flask_babel import lazy_gettext as _l

from app.extensions import socketio
from app.services.errors import TooMany

TICK_SECONDS = 0.05
# After a stall, keep shedding this long: the requests that queued behind it drain first.
LAG_HOLD_SECONDS = 1.0
_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class Overloaded(TooMany):
    """The server is running behind; the write was not done and may be retried."""

    default_message = _l("The server is very busy right now. Nothing was changed; try again.")


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


def shed_late_writes() -> None:
    """Refuse a write with 429 while the loop is behind (a `before_request` hook)."""
    if request.method not in _WRITES:
        return
    bound = current_app.config.get("SHED_LAG_SECONDS", 0)
    monitor = loop_lag()
    if not bound or monitor is None or monitor.current() <= bound:
        return
    raise Overloaded(retry_after=int(current_app.config.get("SHED_RETRY_AFTER", 2)))


def init_shedding(app: Flask, async_mode: str) -> None:
    """Install the hook, and start the monitor when a green-thread server runs the app."""
    app.before_request(shed_late_writes)
    if async_mode in ("eventlet", "gevent") and app.config.get("SHED_LAG_SECONDS"):
        monitor = LoopLag()
        app.extensions["encore_loop_lag"] = monitor
        socketio.start_background_task(monitor.run)
