"""What every request pays before its own work: the layers of a chat post, one at a time.

The same requests go through the Flask test client, in-process (threading mode, the
bench's PostgreSQL and Redis), one layer added at a time:

1. **Flask alone**: a plain Flask app answering an empty view, the framework's and the
   test client's floor;
   beside it, **a bare post**: the same app with Flask-SocketIO on the same Redis queue,
   taking a line over HTTP and emitting it as `bench/bare_server.py` does (no database,
   no login), the bare server that `bench.bare_vs_encore` holds Encore against;
2. **Encore, a visitor**: Encore's app answering an empty view (added for this bench) to
   someone signed out: every hook, extension and header Encore runs around a view;
3. **Encore, signed in**: the same empty view for a signed-in member, as a fragment
   (htmx): the session, the signed-in user's statement, the language from their profile;
4. **Encore, a room post**: a real line to a room of ten, as the composer sends it.

The steps between the layers say where a post's cost comes from: the framework, Encore's
per-request hooks, signing in, and the post's own work (flood rule, the one statement,
rendering, publishing). The ratio of a room post to the bare post is the in-process,
load-insensitive (with `--instructions`) form of the fan-out bench's "CPU a delivery"
ratio, whose goal is 2 ×: the deliveries themselves cost both servers the same.

    python -m bench.request_tax --requests 300            # CPU a request
    python -m bench.request_tax --requests 50 --instructions   # on a busy machine
"""

from __future__ import annotations

import argparse
import itertools
import time
from collections.abc import Callable

from bench import callgrind
from bench.bare_line import EVENT, bare_line
from bench.harness import BenchEnv, common_arguments, nothing_to_summarise, report
from bench.profile_post import build_app, group_poster

LAYERS = (
    "flask alone",
    "flask, a bare post",
    "encore, a visitor",
    "encore, signed in",
    "encore, a room post",
)
STEPS = (
    ("Encore's hooks", "flask alone", "encore, a visitor"),
    ("signing in", "encore, a visitor", "encore, signed in"),
    ("the post's own work", "encore, signed in", "encore, a room post"),
)
_NOTHING = "/bench/nothing"
MEMBERS = 10


def _plain_flask() -> Callable[[], int]:
    """A bare Flask app with one empty view, and a request to it."""
    from flask import Flask

    plain = Flask("request_tax")
    plain.add_url_rule(_NOTHING, "nothing", lambda: ("", 204))
    client = plain.test_client()
    return lambda: client.get(_NOTHING, headers={"HX-Request": "true"}).status_code


def _bare_post(env: BenchEnv) -> Callable[[], int]:
    """Flask-SocketIO taking a line over HTTP and emitting it, as bench/bare_server.py does."""
    from flask import Flask, request
    from flask_socketio import SocketIO

    bare = Flask("request_tax_bare")
    socketio = SocketIO(
        bare,
        async_mode="threading",
        message_queue=env.redis_url,
        channel=env.prefix + "bare-socketio",
    )
    ids = itertools.count(1)

    def post():
        channel_id = int(request.form["channel_id"])
        payload = bare_line(channel_id, next(ids), request.form["body"])
        socketio.emit(EVENT, payload, to=f"channel:{channel_id}")
        return "", 204

    bare.add_url_rule("/post", "post", post, methods=["POST"])
    client = bare.test_client()
    return lambda: client.post("/post", data={"channel_id": "1", "body": "a line"}).status_code


def _layers(env: BenchEnv) -> dict[str, Callable[[], int]] | dict:
    """Build the app and its room; return one request function per layer (or a refusal)."""
    # Back-to-back posts: lift the flood rule's line count (its Redis script still runs).
    app = build_app(env, environ={"ENCORE_CHAT_FLOOD_LINES": "1000000"})
    app.add_url_rule(_NOTHING, "bench_nothing", lambda: ("", 204))
    post = group_poster(app, env, "room", MEMBERS)
    if isinstance(post, dict):
        return post
    visitor = app.test_client()
    members = [client for client, _token in post.clients]
    sent = iter(range(20_000, 10_000_000))  # past the warm-up posts' client ids

    def signed_in() -> int:
        client = members[next(sent) % MEMBERS]
        return client.get(_NOTHING, headers={"HX-Request": "true"}).status_code

    return {
        "flask alone": _plain_flask(),
        "flask, a bare post": _bare_post(env),
        "encore, a visitor": lambda: (
            visitor.get(_NOTHING, headers={"HX-Request": "true"}).status_code
        ),
        "encore, signed in": signed_in,
        "encore, a room post": lambda: post(next(sent)),
    }


def _checked(name: str, request: Callable[[], int]) -> None:
    """Refuse to measure a layer that does not answer as it should."""
    status = request()
    if status >= 300:
        raise SystemExit(f"{name} answered {status}")


def run(args) -> dict:
    """Measure every layer: CPU a request, or instructions under callgrind."""
    if args.instructions and not args.callgrind_child:
        return counted(args)
    with BenchEnv(args.database_url, args.redis_url) as env:
        layers = _layers(env)
        if "status" in layers:
            return layers
        for name, request in layers.items():
            for _ in range(10):  # warm-up: templates, statements and pools ready
                _checked(name, request)
        if args.callgrind_child:
            callgrind.baseline()
            for name, request in layers.items():
                with callgrind.measured(name):
                    for _ in range(args.requests):
                        request()
            return {"status": "ok"}
        return _timed(args, layers)


def _timed(args, layers: dict[str, Callable[[], int]]) -> dict:
    """CPU milliseconds a request per layer: the best of `--rounds` alternating rounds."""
    rounds: dict[str, list[float]] = {name: [] for name in layers}
    for _ in range(args.rounds):
        for name, request in layers.items():
            started = time.process_time()
            for _ in range(args.requests):
                request()
            rounds[name].append((time.process_time() - started) * 1000 / args.requests)
    # On a shared VM a round can only be slowed by neighbours, never sped up.
    return _result(args, "cpu_ms", {name: min(values) for name, values in rounds.items()})


def counted(args) -> dict:
    """Millions of instructions a request per layer: this bench again under callgrind."""
    if not callgrind.available():
        return {"status": "not available here", "reason": "valgrind is not installed"}
    child = ["bench.request_tax", "--callgrind-child", "--requests", str(args.requests)]
    child += ["--database-url", args.database_url]
    child += ["--redis-url", args.redis_url] if args.redis_url else []
    totals = callgrind.count(child)
    return _result(args, "minstructions", {n: t / args.requests / 1e6 for n, t in totals.items()})


def _result(args, unit: str, per_layer: dict[str, float]) -> dict:
    """The layers and the steps between them, in `unit` a request."""
    return {
        "status": "ok",
        "requests": args.requests,
        "unit": unit,
        "layers": {name: round(per_layer[name], 3) for name in LAYERS},
        "steps": {
            step: round(per_layer[after] - per_layer[before], 3) for step, before, after in STEPS
        },
        "post_over_bare_post": round(
            per_layer["encore, a room post"] / per_layer["flask, a bare post"], 2
        ),
    }


def main(argv: list[str] | None = None) -> None:
    """Measure the layers from the command line."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.request_tax",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    common_arguments(parser)
    parser.add_argument("--requests", type=int, default=300, help="requests per layer a round")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds (CPU mode)")
    callgrind.add_arguments(parser, "request")
    args = parser.parse_args(argv)
    result = run(args)
    if nothing_to_summarise("request_tax", result, args):
        return
    unit = "M instructions" if result["unit"] == "minstructions" else "ms CPU"
    summary = [f"{name}: {value} {unit} a request" for name, value in result["layers"].items()]
    summary += [f"  {step}: +{value} {unit}" for step, value in result["steps"].items()]
    summary.append(f"a room post over the bare post: {result['post_over_bare_post']} ×")
    report("request_tax", result, summary, args.json_out)


if __name__ == "__main__":
    main()
