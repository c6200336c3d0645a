"""Serving stored pictures: immutable keys, cached for a year, never sniffed."""

from __future__ import annotations

from flask import abort, send_file

from app.blueprints.posts import bp
from app.services.image_store import image_store, is_key


@bp.get("/media/<path:key>")
def media(key: str):
    """Serve a stored highlight photo or thumbnail by its key."""
    if not is_key(key) or not key.startswith("posts/"):
        abort(404)
    path = image_store().path(key)
    if path is None:
        abort(404)
    # A key is random and never rewritten, so the file can be cached for good.
    response = send_file(path, mimetype="image/jpeg", max_age=31536000, conditional=True)
    response.cache_control.immutable = True
    response.cache_control.public = True
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
