"""The shared Redis connection, and the key prefix every Encore key carries."""

from __future__ import annotations

import redis
from flask import Flask, current_app


def init_redis(app: Flask) -> None:
    """Create the app's Redis client when REDIS_URL is set (embedded mode has none)."""
    url = app.config.get("REDIS_URL")
    if not url:
        app.extensions["encore_redis"] = None
        return
    # A blocking pool waits briefly for a free connection instead of failing at the cap,
    # which is how python-socketio's publisher used to drop messages under load.
    from app.health import redis_connection_class

    # Plain connections report a refused connection to the page notices (app/health.py).
    watched = {"connection_class": redis_connection_class(app)} if url.startswith("redis:") else {}
    pool = redis.BlockingConnectionPool.from_url(
        url,
        **watched,
        max_connections=app.config["REDIS_MAX_CONNECTIONS"],
        timeout=5,
        socket_connect_timeout=2,
        socket_timeout=5,
        health_check_interval=30,
        decode_responses=True,
    )
    app.extensions["encore_redis"] = redis.Redis(connection_pool=pool)


def redis_client() -> redis.Redis | None:
    """Return the app's Redis client, or None in embedded mode."""
    return current_app.extensions.get("encore_redis")


def redis_key(*parts: object) -> str:
    """Return a Redis key under this deployment's prefix."""
    return current_app.config["REDIS_KEY_PREFIX"] + ":".join(str(p) for p in parts)
