"""Server → client pushes: the event catalogue, after-commit broadcast and socket handlers."""

from __future__ import annotations

from flask import Flask

from app.extensions import socketio
from app.realtime.redis_queue import Emit, QueueManager


def effective_async_mode(requested: str) -> str:
    """Return `requested` if this process was patched for it (wsgi.py does), else threading.

    CLI commands, Celery and pytest never patch, so they must not drive Socket.IO with a
    green-thread server they are not running under.
    """
    import socket

    patched_by = socket.socket.__module__
    if requested == "eventlet" and patched_by.startswith("eventlet"):
        return "eventlet"
    if requested == "gevent" and patched_by.startswith("gevent"):
        return "gevent"
    return "threading"


def _emit_each(events: list[Emit]) -> None:
    """Without a queue (the embedded defaults): hand each event to this process's sockets."""
    for event, data, to in events:
        socketio.emit(event, data, to=to)


def init_realtime(app: Flask) -> None:
    """Bind Socket.IO to `app`, or set up a write-only emitter for worker processes.

    Either way `app.extensions["encore_emit"]` takes a list of events and sends them in
    order (app/realtime/broadcast.py): through the Redis queue in one round trip, or, with
    no queue, to this process's sockets one by one.
    """
    queue = app.config["REDIS_URL"] if app.config["SOCKETIO_USE_QUEUE"] else None
    channel = app.config["REDIS_KEY_PREFIX"] + "socketio"
    redis_options = {
        "max_connections": app.config["REDIS_MAX_CONNECTIONS"],
        "health_check_interval": 30,
        "socket_keepalive": True,
    }
    if app.config.get("SOCKETIO_WRITE_ONLY"):
        # Celery processes only publish; they never hold client connections.
        if queue is None:
            # Embedded mode runs no workers; a worker without Redis has nobody to tell.
            app.extensions["encore_emit"] = lambda events: None
            return

        manager = QueueManager(queue, channel=channel, write_only=True, redis_options=redis_options)
        app.extensions["encore_emit"] = manager.emit_all
        return

    # Handlers must be declared before the first init_app, which copies them onto each
    # server it creates (tests build many apps in one process).
    from app.realtime import handlers, signalling  # noqa: F401

    # Flask-SocketIO would build python-socketio's RedisManager from `message_queue` (and drop
    # `redis_options`); Encore hands it its own manager instead (app/realtime/redis_queue.py).
    manager = QueueManager(queue, channel=channel, redis_options=redis_options) if queue else None
    socketio.init_app(
        app,
        async_mode=effective_async_mode(app.config["SOCKETIO_ASYNC_MODE"]),
        client_manager=manager,
        logger=False,
        engineio_logger=False,
        ping_interval=20,
        ping_timeout=20,
        cors_allowed_origins=app.config.get("SOCKETIO_CORS_ORIGINS"),
    )
    app.extensions["encore_emit"] = manager.emit_all if manager else _emit_each
    from app.realtime.socket_actions import start_listener
    from app.shedding import start_lag_monitor

    start_listener(app)
    start_lag_monitor(app, effective_async_mode(app.config["SOCKETIO_ASYNC_MODE"]))
