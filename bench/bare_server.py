"""A bare Flask-SocketIO server: the same async mode, Redis queue and event shape as Encore.

It has no database write, no rendering, no login and no authorisation, so running the
fan-out scenario against it, side by side with Encore, shows what the product itself costs.

    BENCH_ASYNC_MODE=gevent PORT=5100 REDIS_URL=redis://127.0.0.1:6379/0 python bench/bare_server.py

POST /post (channel_id, body) emits `chat:message` {channel_id, id, seq, html} to
`channel:<id>`; the `subscribe` event {channel_id} joins that Socket.IO room. GET /sleep
runs `SELECT pg_sleep(seconds)` on DATABASE_URL through psycopg2, patched the same way
wsgi.py patches it (unless BENCH_NO_PSYCOGREEN=1), to check that a slow query does not
freeze other clients.
"""

import os
import sys

ASYNC_MODE = os.environ.get("BENCH_ASYNC_MODE", "eventlet")
if ASYNC_MODE == "eventlet":
    import eventlet

    eventlet.monkey_patch()
    from psycogreen.eventlet import patch_psycopg

    if os.environ.get("BENCH_NO_PSYCOGREEN") != "1":
        patch_psycopg()
elif ASYNC_MODE == "gevent":
    from gevent import monkey

    monkey.patch_all()
    from psycogreen.gevent import patch_psycopg

    if os.environ.get("BENCH_NO_PSYCOGREEN") != "1":
        patch_psycopg()

import itertools  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path[0] = str(Path(__file__).resolve().parent.parent)

from flask import Flask, jsonify, request  # noqa: E402
from flask_socketio import SocketIO, join_room  # noqa: E402

from bench import gc_tune  # noqa: E402
from bench.bare_line import EVENT, bare_line  # noqa: E402

app = Flask(__name__)
redis_url = os.environ.get("REDIS_URL") or None
socketio = SocketIO(
    app,
    async_mode=ASYNC_MODE,
    message_queue=redis_url,
    channel=os.environ.get("ENCORE_REDIS_PREFIX", "bench-bare:") + "socketio",
    redis_options={"max_connections": 200} if redis_url else None,
    ping_interval=20,
    ping_timeout=20,
)
_ids = itertools.count(1)


@app.get("/healthz")
def healthz():
    """Answer 200 once the server runs."""
    return jsonify({"status": "ok"})


@app.post("/post")
def post():
    """Emit one chat line to its channel, as Encore's chat would after its commit."""
    channel_id = int(request.form["channel_id"])
    payload = bare_line(channel_id, next(_ids), request.form["body"])
    socketio.emit(EVENT, payload, to=f"channel:{channel_id}")
    return "", 204


@app.get("/sleep")
def sleep():
    """Hold one database connection in pg_sleep for `seconds`."""
    import psycopg2

    seconds = float(request.args.get("seconds", "1"))
    with psycopg2.connect(os.environ["DATABASE_URL"]) as conn, conn.cursor() as cur:
        cur.execute("SELECT pg_sleep(%s)", (seconds,))
    conn.close()
    return jsonify({"slept": seconds})


@socketio.on("connect")
def on_connect(auth=None):
    """Accept every connection."""
    return True


@socketio.on("subscribe")
def on_subscribe(data=None):
    """Join `channel:<id>`; rooms are accepted and ignored (the bare server has no stage)."""
    data = data if isinstance(data, dict) else {}
    if isinstance(data.get("channel_id"), int):
        join_room(f"channel:{data['channel_id']}")
    return {"ok": True}


if __name__ == "__main__":
    gc_tune.apply_from_env()
    socketio.run(app, host="127.0.0.1", port=int(os.environ.get("PORT", "5100")), log_output=False)
