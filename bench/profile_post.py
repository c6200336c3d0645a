"""Where a chat post's server time goes: N posts through the app in-process, under cProfile.

The app runs in this process (threading mode, no sockets connected), on a throwaway
database and the real Redis, and the Flask test client posts room or conversation lines
the way the page does (real login, CSRF header, htmx). No green threads mix the profile,
so the per-function times are the post's own. Socket delivery is not included: fan-out
measures that.

    python -m bench.profile_post --kind room --posts 200
    python -m bench.profile_post --kind chat --members 10 --posts 200 --top 30
    python -m bench.profile_post --kind room --posts 200 --no-profile   # plain CPU per post
    python -m bench.profile_post --kind room --posts 300 --cpu-timer    # CPU, not waiting
    python -m bench.profile_post --kind room --posts 50 --instructions  # on a busy machine

Each run also reports the CPU PostgreSQL's processes on this machine spent per post
(`database_cpu_ms_per_post`): the web process and the database share its cores.

`--no-profile` leaves cProfile off, so the CPU per post is the post's own; that is the
figure to compare between two builds run side by side (docs/benchmarks.md). On a busy
machine, compare `--instructions` instead: instructions per post, counted by callgrind.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import re
import time
from contextlib import closing, contextmanager

from bench import callgrind
from bench.harness import (
    BENCH_PASSWORD,
    CSRF_META,
    BenchEnv,
    common_arguments,
    nothing_to_summarise,
    report,
)
from bench.server_process import processes_cpu_seconds
from bench.users import bulk_users


def _client_for(app, username: str):
    client = app.test_client()
    page = client.get("/auth/login").get_data(as_text=True)
    token = CSRF_META.search(page).group(1)
    response = client.post(
        "/auth/login",
        data={"username": username, "password": BENCH_PASSWORD, "csrf_token": token},
    )
    if response.status_code != 303:
        raise RuntimeError(f"login answered {response.status_code}")
    token = CSRF_META.search(client.get("/").get_data(as_text=True)).group(1)
    return client, token


def run(args) -> dict:
    """Build the app in-process, set up one room or group, then time or count its posts."""
    if args.instructions:
        return counted(args)
    with BenchEnv(args.database_url, args.redis_url) as env:
        post = _setup(args, env)
        if isinstance(post, dict):
            return post
        if args.callgrind_child:
            with callgrind_child():
                statuses = [post(n) for n in range(args.posts)]
            if any(status >= 400 for status in statuses):
                raise SystemExit(f"a counted post was refused: {sorted(set(statuses))}")
            return {"status": "ok"}
        return _timed(args, post)


def _group_size(args) -> int:
    """The room's or group's members: `--members`, kept between 2 and 50."""
    return max(2, min(50, args.members))


def _setup(args, env: BenchEnv):
    """Create the app, the members and the room or group; return `post(n)` or a refusal."""
    app = build_app(env)
    return group_poster(app, env, args.kind, _group_size(args))


def build_app(env: BenchEnv, *, environ: dict | None = None):
    """Create the app in this process (threading mode) on the bench's database and Redis.

    `environ` adds settings (a lifted flood rule, say). A caller may add routes to the app
    it gets back before its first request.
    """
    os.environ.update(
        {
            "DATABASE_URL": env.database_url,
            "REDIS_URL": env.redis_url or "",
            "ENCORE_REDIS_PREFIX": env.prefix,
            "ENCORE_INSTANCE_PATH": env.instance_path,
            "SECRET_KEY": "bench-profile",
            "ENCORE_ASYNC_MODE": "threading",
            **(environ or {}),
        }
    )
    from app import create_app

    return create_app()


def group_poster(app, env: BenchEnv, kind: str, members: int):
    """Sign `members` people in, put them in one room or group; return `post(n)` or a refusal.

    `post(n)` sends line `n` from member `n % members` the way the page does (CSRF header,
    htmx) and returns the status; `post.clients` holds each member's (client, CSRF token).
    """
    with closing(env.db()) as conn:
        users = bulk_users(conn, members, "prof" + env.run_id)
    clients = [_client_for(app, name) for _, name in users]
    host, host_token = clients[0]
    if kind == "room":
        response = host.post(
            "/rooms/",
            data={
                "title": "Profile room",
                "description": "",
                "category": "talent",
                "mode": "casual",
                "capacity": str(members),
                "csrf_token": host_token,
            },
        )
        match = re.search(r"/rooms/(\d+)", response.headers.get("Location", ""))
        if response.status_code == 404 or not match:
            return {"status": "not available on this build", "reason": "POST /rooms/ → 404"}
        room_id = int(match.group(1))
        for client, token in clients[1:]:
            client.post(f"/rooms/{room_id}/join", headers={"X-CSRFToken": token})
        for client, _token in clients:
            # Land on the room as a browser does after the redirect: the page shows the
            # "you joined" notice, so the session stops carrying it.
            client.get(f"/rooms/{room_id}")
        path = f"/rooms/{room_id}/messages"
    else:
        from datetime import UTC, datetime

        now = datetime.now(UTC)
        with closing(env.db()) as conn, conn.cursor() as cur:
            cur.execute(
                "INSERT INTO channels (kind, title, last_seq, created_by_id, created_at)"
                " VALUES ('group', 'Profile group', 0, %s, %s) RETURNING id",
                (users[0][0], now),
            )
            channel_id = cur.fetchone()[0]
            for user_id, _name in users:
                cur.execute(
                    "INSERT INTO channel_members (channel_id, user_id, joined_at,"
                    " last_read_seq) VALUES (%s, %s, %s, 0)",
                    (channel_id, user_id, now),
                )
        path = f"/chats/{channel_id}/messages"

    def post(n: int) -> int:
        client, token = clients[n % members]
        return client.post(
            path,
            data={"body": f"profile line {n}", "client_id": f"profile-{n:08d}"},
            headers={"X-CSRFToken": token, "HX-Request": "true"},
        ).status_code

    post.clients = clients
    if post(-1) == 404:
        return {"status": "not available on this build", "reason": f"POST {path} → 404"}
    for n in range(5):  # warm-up: templates compiled, statements cached
        post(10_000 + n)
    return post


@contextmanager
def callgrind_child():
    """Under callgrind (`--instructions`): count the block's posts as one stretch."""
    callgrind.baseline()
    with callgrind.measured("posts"):
        yield


def counted(args) -> dict:
    """Instructions per post: this scenario again, under callgrind, counting only the posts.

    The posts run back to back there, so the child lifts the flood rule's line count
    (configuration, ENCORE_CHAT_FLOOD_LINES); the rule's Redis script still runs on every
    post, and it costs the same whatever its limit.
    """
    if not callgrind.available():
        return {"status": "not available here", "reason": "valgrind is not installed"}
    child = ["bench.profile_post", "--callgrind-child", "--kind", args.kind]
    child += ["--members", str(args.members), "--posts", str(args.posts)]
    child += ["--database-url", args.database_url]
    child += ["--redis-url", args.redis_url] if args.redis_url else []
    os.environ["ENCORE_CHAT_FLOOD_LINES"] = str(10 * args.posts)
    total = callgrind.count(child)["posts"]
    return {
        "status": "ok",
        "kind": args.kind,
        "members": _group_size(args),
        "posts": args.posts,
        "minstructions_per_post": round(total / args.posts / 1e6, 2),
    }


def _timed(args, post) -> dict:
    """Post `args.posts` lines under the flood rule, timing them (and profiling them)."""
    members = _group_size(args)
    # The warm-up posted too: wait a round, so the timed posts stay under the flood limit.
    time.sleep(2.05)
    # --cpu-timer: count CPU only, so time spent waiting on PostgreSQL and Redis is left out.
    profiler = cProfile.Profile(time.thread_time if args.cpu_timer else time.perf_counter)

    def start() -> None:
        if not args.no_profile:
            profiler.enable()

    def stop() -> None:
        if not args.no_profile:
            profiler.disable()

    statuses: dict[str, int] = {}
    database0 = processes_cpu_seconds("postgres")
    cpu0, wall0 = time.process_time(), time.monotonic()
    paused_cpu = paused_wall = 0.0
    round_started = time.monotonic()
    start()
    for n in range(args.posts):
        if n and n % members == 0:
            # Each member posts at most once per 2 s, under the flood limit (5 per 10 s).
            stop()
            pause_cpu, pause_wall = time.process_time(), time.monotonic()
            time.sleep(max(0.0, 2.05 - (time.monotonic() - round_started)))
            round_started = time.monotonic()
            paused_cpu += time.process_time() - pause_cpu
            paused_wall += time.monotonic() - pause_wall
            start()
        status = post(n)
        statuses[str(status)] = statuses.get(str(status), 0) + 1
    stop()
    cpu = time.process_time() - cpu0 - paused_cpu
    wall = time.monotonic() - wall0 - paused_wall
    # The database's CPU is not the web process's, but on one machine they share the cores.
    database = processes_cpu_seconds("postgres") - database0
    out = io.StringIO()
    if not args.no_profile:
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("cumulative").print_stats(
            r"/app/|sqlalchemy/orm/session|jinja2/environment|redis/client|flask_limiter",
            args.top,
        )
        if args.profile_out:
            stats.dump_stats(args.profile_out)
    return {
        "status": "ok",
        "kind": args.kind,
        "members": members,
        "posts": args.posts,
        "statuses": statuses,
        "profiled": not args.no_profile,
        "cpu_ms_per_post_profiled": round(cpu * 1000 / args.posts, 2),
        "wall_ms_per_post_profiled": round(wall * 1000 / args.posts, 2),
        "database_cpu_ms_per_post": round(database * 1000 / args.posts, 2),
        "profile": out.getvalue(),
    }


def main(argv: list[str] | None = None) -> None:
    """Profile chat posts from the command line."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.profile_post",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    common_arguments(parser)
    parser.add_argument("--kind", choices=["room", "chat"], default="room")
    parser.add_argument("--members", type=int, default=10, help="members of the room/group")
    parser.add_argument("--posts", type=int, default=100, help="members post once per 2 s")
    parser.add_argument("--top", type=int, default=25, help="profile lines to print")
    parser.add_argument("--profile-out", help="also write the raw stats here (pstats)")
    parser.add_argument(
        "--cpu-timer", action="store_true", help="profile CPU time, not wall time (slower)"
    )
    parser.add_argument(
        "--no-profile", action="store_true", help="time the posts without cProfile's overhead"
    )
    callgrind.add_arguments(parser, "post")
    args = parser.parse_args(argv)
    result = run(args)
    if nothing_to_summarise("profile_post", result, args):
        return
    if args.instructions:
        line = (
            f"{result['posts']} {result['kind']} posts, {result['members']} members:"
            f" {result['minstructions_per_post']} M instructions per post"
        )
        report("profile_post", result, [line], args.json_out)
        return
    summary = [
        f"{result['posts']} {result['kind']} posts, {result['members']} members:"
        f" {result['cpu_ms_per_post_profiled']} ms CPU and {result['wall_ms_per_post_profiled']}"
        f" ms wall per post"
        f" {'under cProfile (which adds overhead)' if result['profiled'] else 'unprofiled'};"
        f" PostgreSQL {result['database_cpu_ms_per_post']} ms CPU per post;"
        f" statuses"
        f" {result['statuses']}",
        *result["profile"].splitlines()[:60],
    ]
    report("profile_post", result, summary, args.json_out)


if __name__ == "__main__":
    main()
