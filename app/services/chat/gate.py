"""The overload gate of a post: shed new posts with 429 instead of letting them queue.

Three signals say "this process is saturated": too many posts in flight, a Redis publisher
that just lost a publish, and (for every write, see app/shedding.py) an event loop that
runs late.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from flask import current_app

from app.realtime.redis_queue import PUBLISH_LOST
from app.services.chat.errors import ChatBusy

# Shed new posts for this long after the Socket.IO publisher reported a lost publish.
PUBLISH_TROUBLE_SECONDS = 5


class PostGate:
    """Counts the posts a process is handling, and refuses new ones past the limit.

    A post holds its slot through commit and publish, so a slow Redis publisher (a pool
    waiting for a free connection) shows up here as posts piling up, not as lost messages.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.in_flight = 0
        self.shed = 0
        self._lock = threading.Lock()

    @contextmanager
    def admit(self) -> Iterator[None]:
        """Hold a slot for one post, or raise ChatBusy when every slot is taken."""
        with self._lock:
            if self.in_flight >= self.limit or publish_in_trouble():
                self.shed += 1
                raise ChatBusy(retry_after=2)
            self.in_flight += 1
        try:
            yield
        finally:
            with self._lock:
                self.in_flight -= 1


def post_gate() -> PostGate:
    """Return this process's gate for the current app."""
    gate = current_app.extensions.get("chat_post_gate")
    if gate is None:
        limit = int(current_app.config.get("CHAT_MAX_INFLIGHT_POSTS", 64))
        gate = current_app.extensions.setdefault("chat_post_gate", PostGate(limit))
    return gate


class _PublishWatch(logging.Handler):
    """Notes when the Redis publisher gives up on a publish.

    Only "giving up" counts: a publish that failed once and went through on a fresh
    connection ("retrying", as the first publish after a Redis restart does) lost nothing,
    and shedding for it would refuse posts just as delivery comes back.
    """

    last_failure = 0.0

    def emit(self, record: logging.LogRecord) -> None:
        """Remember the time of a publish the Redis publisher could not make."""
        if record.msg == PUBLISH_LOST:
            _PublishWatch.last_failure = time.monotonic()


def watch_publisher() -> None:
    """Listen to python-socketio's log for lost publishes (once per process)."""
    logger = logging.getLogger("socketio")
    if not any(isinstance(h, _PublishWatch) for h in logger.handlers):
        logger.addHandler(_PublishWatch(level=logging.ERROR))


def publish_in_trouble() -> bool:
    """Tell whether the Redis publisher lost a publish in the last few seconds."""
    last = _PublishWatch.last_failure
    return bool(last) and time.monotonic() - last < PUBLISH_TROUBLE_SECONDS
