"""What this process knows is degraded right now, as flags any page can read for free.

Pages say in plain words when Redis or the database is away. Asking either store on every
request would add a round trip to every page, so the flags are set by the failures the app
meets anyway: a Redis connection that cannot be opened (the connection class below) and a
database error SQLAlchemy reports as a disconnect (an engine event). Reading a flag is an
attribute lookup.

A flag clears itself: while one is up, a small background probe asks the store once a
second and lowers the flag when it answers, so the notice goes away without anyone having
to make a request that happens to touch the store. While nothing is degraded no probe runs.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

import redis
from flask import Flask, current_app, has_app_context
from sqlalchemy import event, text
from sqlalchemy.engine import Engine

log = logging.getLogger(__name__)

PROBE_SECONDS = 1.0
PROBE_GIVE_UP_SECONDS = 600.0


@dataclass
class Health:
    """One app's view of its stores: since when each has been failing (None: fine)."""

    redis_down_since: float | None = None
    db_down_since: float | None = None
    probing: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)


def init_health(app: Flask) -> None:
    """Give `app` its flags and watch its database engine for disconnects."""
    from app.extensions import db

    app.extensions["encore_health"] = Health()
    app.jinja_env.globals["degraded_stores"] = degraded_stores
    with app.app_context():
        watch_engine(app, db.engine)


def health(app: Flask | None = None) -> Health:
    """Return the flags of `app` (the current app by default)."""
    target = app if app is not None else current_app
    return target.extensions.setdefault("encore_health", Health())


def degraded_stores() -> list[str]:
    """Name the stores this process currently finds away ("redis", "database"); O(1)."""
    if not has_app_context():
        return []
    state = health()
    stores = []
    if state.redis_down_since is not None:
        stores.append("redis")
    if state.db_down_since is not None:
        stores.append("database")
    return stores


# ---------------------------------------------------------------- raising and lowering


def store_failed(app: Flask, store: str) -> None:
    """Raise the flag of `store` and make sure a probe will lower it again."""
    state = health(app)
    attribute = f"{_attr(store)}_down_since"
    with state.lock:
        if getattr(state, attribute) is None:
            setattr(state, attribute, time.monotonic())
            log.warning("%s is away; pages say so until it answers again", store)
        if store in state.probing:
            return
        state.probing.add(store)
    _start_probe(app, store)


def store_answered(app: Flask, store: str) -> None:
    """Lower the flag of `store`: it answered."""
    state = health(app)
    attribute = f"{_attr(store)}_down_since"
    if getattr(state, attribute) is not None:
        with state.lock:
            setattr(state, attribute, None)
        log.warning("%s answers again", store)


def _attr(store: str) -> str:
    return "db" if store == "database" else "redis"


def _start_probe(app: Flask, store: str) -> None:
    """Ask the store once a second, in the background, until it answers (or give up).

    A probe gives up after PROBE_GIVE_UP_SECONDS so a store that is gone for good (a test's
    own server, stopped at its end) leaves no loop behind; the next failure starts a new
    probe, and the next successful connection lowers the flag anyway.
    """
    from app.extensions import socketio

    green = getattr(socketio, "server", None) is not None
    sleep = socketio.sleep if green else time.sleep

    def probe() -> None:
        state = health(app)
        deadline = time.monotonic() + PROBE_GIVE_UP_SECONDS
        try:
            while time.monotonic() < deadline:
                sleep(PROBE_SECONDS)
                if _answers(app, store):
                    store_answered(app, store)
                    return
        finally:
            with state.lock:
                state.probing.discard(store)

    if green:
        socketio.start_background_task(probe)
    else:  # a Celery process has no Socket.IO server to run background tasks
        threading.Thread(target=probe, name=f"health-probe-{store}", daemon=True).start()


def _answers(app: Flask, store: str) -> bool:
    """Tell whether `store` answers a trivial request right now."""
    try:
        with app.app_context():
            if store == "redis":
                client = app.extensions.get("encore_redis")
                return client is None or bool(client.ping())
            from app.extensions import db

            with db.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            return True
    except Exception:  # any failure means "still away"; the probe tries again
        return False


# ---------------------------------------------------------------- where failures are seen


def redis_connection_class(app: Flask) -> type[redis.Connection]:
    """A Redis connection class that raises the flag when a connection cannot be opened."""

    class WatchedConnection(redis.Connection):
        """Opens like any connection; a refused or timed-out open marks Redis away."""

        def connect_check_health(self, *args, **kwargs):
            fresh = self._sock is None
            try:
                result = super().connect_check_health(*args, **kwargs)
            except (redis.ConnectionError, redis.TimeoutError):
                store_failed(app, "redis")
                raise
            if fresh:
                store_answered(app, "redis")
            return result

    return WatchedConnection


def watch_engine(app: Flask, engine: Engine) -> None:
    """Raise the database flag when SQLAlchemy meets a disconnect or cannot connect."""
    if engine.dialect.name == "sqlite":
        return  # an embedded file is never "away"

    @event.listens_for(engine, "handle_error")
    def _on_error(context) -> None:
        from sqlalchemy.exc import OperationalError

        # A disconnect, or a failure to connect at all; not a slow query that was cancelled.
        connecting = context.connection is None
        if context.is_disconnect or (
            connecting and isinstance(context.sqlalchemy_exception, OperationalError)
        ):
            try:
                store_failed(app, "database")
            except Exception:  # a notice must never change how the error itself is handled
                log.exception("could not raise the database flag")

    @event.listens_for(engine, "connect")
    def _on_connect(_dbapi_connection, _record) -> None:
        # A new connection opened: the database is reachable (after a restart every
        # connection is new, so this is where the flag comes down during traffic).
        store_answered(app, "database")
