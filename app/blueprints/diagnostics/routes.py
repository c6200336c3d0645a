"""A slow database call, so a benchmark can check it does not freeze other users' sockets."""

from __future__ import annotations

import math
import time

from flask import abort, jsonify, request
from sqlalchemy import text

from app.blueprints.diagnostics import bp
from app.extensions import db


@bp.get("/sleep")
def sleep():
    """Hold one database connection in `SELECT pg_sleep(seconds)` (at most 5 s)."""
    if db.engine.dialect.name != "postgresql":
        abort(404)
    try:
        seconds = float(request.args.get("seconds", "1"))
    except ValueError:
        abort(400)
    if not math.isfinite(seconds):  # "nan" would reach pg_sleep
        abort(400)
    seconds = min(max(seconds, 0.0), 5.0)
    db.session.execute(text("SELECT pg_sleep(:s)"), {"s": seconds})
    db.session.rollback()
    return jsonify({"slept": seconds})


@bp.get("/busy")
def busy():
    """Hold this process's event loop with pure CPU for `seconds` (at most 5 s).

    No green thread runs meanwhile, as when one request renders something huge; the
    load-shedding test and bench/overload.py use it.
    """
    try:
        seconds = min(max(float(request.args.get("seconds", "1")), 0.0), 5.0)
    except ValueError:
        abort(400)
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass
    return jsonify({"busy": seconds})
