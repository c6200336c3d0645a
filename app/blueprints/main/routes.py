"""The home page and the health check."""

from __future__ import annotations

from flask import current_app, jsonify, render_template
from flask_login import current_user
from sqlalchemy import text

from app.blueprints.main import bp
from app.extensions import db, limiter
from app.health import store_failed
from app.redis_store import redis_client
from app.sessions import serve_as_visitor


@bp.get("/")
def index():
    """Landing page for visitors; the logged-in home for members."""
    if not current_user.is_authenticated:
        return render_template("main/index.html")
    from app.services import home, social
    from app.services.notifications import inbox

    my_rooms = home.my_open_rooms(current_user.id)
    mine = {room.id for room in my_rooms}
    return render_template(
        "main/index.html",
        my_rooms=my_rooms,
        unread_notifications=inbox.unread_entries(current_user.id),
        open_rooms=[
            item for item in social.open_rooms_for(current_user.id) if item.room.id not in mine
        ],
        feed=social.activity_feed(current_user.id, limit=8),
    )


@bp.get("/healthz")
@limiter.exempt
def healthz():
    """Report whether the database and Redis answer; 200 while pages can be served."""
    # The answer is about the machine, not the caller: never ask the database who is
    # logged in (the language hooks would), since the database may be what is down.
    serve_as_visitor()
    try:
        db.session.execute(text("SELECT 1"))
        db_state = "ok"
    except Exception:  # any failure means "down" to a load balancer
        db.session.rollback()
        db_state = "error"
        if db.engine.dialect.name != "sqlite":
            store_failed(current_app._get_current_object(), "database")
    client = redis_client()
    if client is None:
        redis_state = "disabled"
    else:
        try:
            client.ping()
            redis_state = "ok"
        except Exception:  # Redis down degrades live features, not the site
            redis_state = "error"
            store_failed(current_app._get_current_object(), "redis")
    healthy = db_state == "ok"
    status = "ok" if healthy and redis_state != "error" else ("degraded" if healthy else "error")
    body = {"status": status, "db": db_state, "redis": redis_state}
    if redis_state != "disabled":
        body["degraded"] = _degraded_features(redis_state)
    return jsonify(body), 200 if healthy else 503


def _degraded_features(redis_state: str) -> list[str]:
    """Name the live features running in their reduced form while Redis is away."""
    from app.services import presence

    features = []
    if redis_state == "error" or presence.degraded():
        # Presence lists only this process's connections.
        features.append("presence")
    # Flask-Limiter keeps no public flag; this one says its limits count in memory for now.
    if redis_state == "error" or getattr(limiter, "_storage_dead", False):
        features.append("rate_limits")
    if redis_state == "error":
        # Pushes reach only the sockets this process holds; pages and forms still work.
        features.append("realtime")
    return features
