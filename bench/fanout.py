"""Socket fan-out: N Socket.IO clients in groups, chat lines posted over HTTP at a fixed rate.

Each group is a show room (POST /rooms/, /rooms/<id>/join, posts to /rooms/<id>/messages)
or a group conversation (rows in channels/channel_members, posts to /chats/<id>/messages).
Every member has its own logged-in session and socket; posts rotate over a group's members,
so each user stays under the chat flood limit where the rate allows. Latency is measured
from just before the POST to the `chat:message` arriving at each subscribed client.

    python -m bench.fanout --clients 50 --group-size 10 --rate 20 --duration 5
    python -m bench.fanout --ramp --clients 200            # find the ceiling
    python -m bench.fanout --target bare --ramp            # the bare Flask-SocketIO server

A step "holds" while p99 ≤ 500 ms, nothing accepted is lost and under 1 % of posts fail;
the ceiling is the highest delivery rate of a step that holds.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import time
import uuid
from collections import Counter, defaultdict
from contextlib import closing
from dataclasses import dataclass, field

from bench.deploy_shape import DeployShape, client_address
from bench.fanout_clients import ClientPool
from bench.harness import (
    GC_CHOICES,
    BenchEnv,
    Meter,
    common_arguments,
    fmt,
    latency_line,
    not_available,
    percentiles,
    report,
)
from bench.users import HttpUser, bulk_users, login_all, route_exists

P99_LIMIT_MS = 500.0
FLOOD_RATE_PER_USER = 0.5  # the chat flood limit: 5 lines per 10 s


@dataclass
class Group:
    """One room or conversation: its channel, where to post, and its members' indexes."""

    kind: str
    channel_id: int
    post_path: str
    members: list[int]
    subscribe: list[dict]
    next_poster: int = 0


@dataclass
class Setup:
    """Everything a run needs once users are logged in and groups exist."""

    groups: list[Group]
    client_specs: list[dict]
    http: list = field(default_factory=list)  # HttpUser per client (Encore), or shared sessions
    notes: list[str] = field(default_factory=list)


# ---------------------------------------------------------------- setting up groups


async def setup_encore(
    env: BenchEnv, base_urls: list[str], args, addresses: list[str] | None = None
) -> Setup | str:
    """Create users, log them in, and build rooms and/or conversations; or say why not.

    Users go round-robin over `base_urls`; with `addresses` (behind nginx) user n's
    requests and socket come from `addresses[n]`.
    """
    kinds = []
    if args.kind in ("rooms", "mixed") and await route_exists(base_urls[0], "/rooms/"):
        kinds.append("rooms")
    if args.kind in ("chats", "mixed") and await route_exists(base_urls[0], "/chats/"):
        kinds.append("chats")
    if not kinds:
        return f"no {args.kind} routes (GET /rooms/ and /chats/ answer 404)"
    group_size = max(2, min(50, args.group_size))
    count = max(group_size, args.clients - args.clients % group_size)
    with closing(env.db()) as conn:
        users = bulk_users(conn, count, "fan" + env.run_id)
    sessions = await login_all(base_urls, users, addresses=addresses)
    groups: list[Group] = []
    for g in range(count // group_size):
        members = list(range(g * group_size, (g + 1) * group_size))
        kind = kinds[g % len(kinds)]
        if kind == "rooms":
            group = await _make_room(env, sessions, members, g)
        else:
            group = _make_chat(env, users, members, g)
        if isinstance(group, str):
            return group
        groups.append(group)
    specs = []
    for group in groups:
        for member in group.members:
            specs.append(
                {
                    "index": member,
                    "url": sessions[member].base_url,
                    "cookie": sessions[member].cookie_header(),
                    "subscribe": group.subscribe,
                    "address": addresses[member] if addresses else None,
                }
            )
    return Setup(groups, specs, sessions)


async def _make_room(env: BenchEnv, sessions: list[HttpUser], members: list[int], n: int):
    host = sessions[members[0]]
    status, _body, headers = await host.post(
        "/rooms/",
        {
            "title": f"Bench room {n}",
            "description": "fan-out benchmark",
            "category": "talent",
            "mode": "casual",
            "capacity": str(len(members)),
        },
        htmx=False,
    )
    match = re.search(r"/rooms/(\d+)", headers.get("Location", ""))
    if status not in (302, 303) or not match:
        return f"creating a room answered {status}"
    room_id = int(match.group(1))
    for member in members[1:]:
        status, _body, _headers = await sessions[member].post(
            f"/rooms/{room_id}/join", {}, htmx=False
        )
        if status >= 400:
            return f"joining room {room_id} answered {status}"
    # The room's chat channel may be created on first use: open the chat once, as a page does.
    async with host.session.get(
        f"{host.base_url}/rooms/{room_id}/messages", headers={"HX-Request": "true"}
    ) as response:
        await response.read()
    with closing(env.db()) as conn, conn.cursor() as cur:
        cur.execute("SELECT id FROM channels WHERE room_id = %s", (room_id,))
        row = cur.fetchone()
    if row is None:
        return f"room {room_id} has no chat channel"
    return Group(
        "room",
        row[0],
        f"/rooms/{room_id}/messages",
        members,
        [{"room_id": room_id}, {"channel_id": row[0]}],
    )


def _make_chat(env: BenchEnv, users: list, members: list[int], n: int) -> Group:
    from datetime import UTC, datetime

    now = datetime.now(UTC)
    with closing(env.db()) as conn, conn.cursor() as cur:
        cur.execute(
            "INSERT INTO channels (kind, title, last_seq, created_by_id, created_at)"
            " VALUES ('group', %s, 0, %s, %s) RETURNING id",
            (f"Bench group {n}", users[members[0]][0], now),
        )
        channel_id = cur.fetchone()[0]
        for member in members:
            cur.execute(
                "INSERT INTO channel_members (channel_id, user_id, joined_at, last_read_seq)"
                " VALUES (%s, %s, %s, 0)",
                (channel_id, users[member][0], now),
            )
    return Group(
        "chat", channel_id, f"/chats/{channel_id}/messages", members, [{"channel_id": channel_id}]
    )


def setup_bare(base_urls: list[str], args, addresses: list[str] | None = None) -> Setup:
    """Anonymous clients in groups; posts go to the bare server's /post."""
    group_size = max(2, min(50, args.group_size))
    count = max(group_size, args.clients - args.clients % group_size)
    groups, specs = [], []
    for g in range(count // group_size):
        members = list(range(g * group_size, (g + 1) * group_size))
        groups.append(Group("bare", g + 1, "/post", members, [{"channel_id": g + 1}]))
        for member in members:
            specs.append(
                {
                    "index": member,
                    "url": base_urls[member % len(base_urls)],
                    "cookie": None,
                    "subscribe": [{"channel_id": g + 1}],
                    "address": addresses[member] if addresses else None,
                }
            )
    return Setup(groups, specs, [HttpUser(url, connections=200) for url in base_urls])


# ---------------------------------------------------------------- posting and measuring


@dataclass
class Post:
    """One POST: which message and group, when it was sent, what came back."""

    index: int
    group: int
    sent: float
    status: int = 0
    http_ms: float = 0.0


async def post_at_rate(setup: Setup, target: str, rate: float, duration: float, first: int, run):
    """Send round(rate × duration) posts open-loop at `rate`/s; return the Post records."""
    total = max(1, round(rate * duration))
    posts: list[Post] = []
    tasks = []
    in_flight = [0]
    skipped = [0]
    max_in_flight = 1000

    async def send(post: Post) -> None:
        in_flight[0] += 1
        group = setup.groups[post.group]
        body = f"bench bm{run}q{post.index} fan-out line"
        try:
            if target == "bare":
                http = setup.http[post.index % len(setup.http)]
                status, _b, _h = await http.post(
                    "/post", {"channel_id": str(group.channel_id), "body": body}, htmx=False
                )
            else:
                poster = group.members[group.next_poster % len(group.members)]
                group.next_poster += 1
                status, _b, _h = await setup.http[poster].post(
                    group.post_path, {"body": body, "client_id": uuid.uuid4().hex}
                )
        except Exception:
            status = -1
        post.status = status
        post.http_ms = (time.monotonic() - post.sent) * 1000
        in_flight[0] -= 1

    start = time.monotonic() + 0.1
    for n in range(total):
        due = start + n / rate
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        if in_flight[0] >= max_in_flight:
            skipped[0] += 1
            continue
        post = Post(first + n, (first + n) % len(setup.groups), time.monotonic())
        posts.append(post)
        tasks.append(asyncio.create_task(send(post)))
    sending_s = time.monotonic() - start
    await asyncio.gather(*tasks)
    return posts, sending_s, skipped[0]


def evaluate(posts: list[Post], receipts: list, setup: Setup, subscribed: dict, wall: float):
    """Turn posts and receipts into latency, throughput, loss and duplication numbers."""
    by_index = {p.index: p for p in posts}
    members_of = defaultdict(set)
    for client, channels in subscribed.items():
        for channel in channels:
            members_of[channel].add(client)
    seen: Counter = Counter()
    first_copy: dict[tuple[int, int], float] = {}
    seqs: dict[tuple[int, int], set] = defaultdict(set)
    duplicate_gaps = []
    latencies = []
    foreign = 0
    for client, index, received, *seq in receipts:
        post = by_index.get(index)
        if post is None:
            foreign += 1  # a late delivery of an earlier step, or of a post that failed
            continue
        seen[(client, index)] += 1
        seqs[(client, index)].update(seq)
        if seen[(client, index)] == 1:
            first_copy[(client, index)] = received
            latencies.append((received - post.sent) * 1000)
        else:
            # These clients never reconnect nor read the history, so a second copy is a
            # second push: Redis publishes are at-least-once (redis-py and python-socketio
            # both send a PUBLISH again when its reply is lost). The gap between the copies
            # tells a publish retry (a backoff apart) from anything else.
            duplicate_gaps.append(round((received - first_copy[(client, index)]) * 1000, 1))
    accepted = [p for p in posts if 200 <= p.status < 400]
    expected = 0
    delivered = 0
    for post in accepted:
        channel = setup.groups[post.group].channel_id
        for client in members_of[channel]:
            expected += 1
            if seen[(client, post.index)]:
                delivered += 1
    statuses = Counter(p.status for p in posts)
    duplicated = sum(c - 1 for c in seen.values() if c > 1)
    return {
        "posts": len(posts),
        "accepted": len(accepted),
        "rejected_429": statuses.get(429, 0),
        "errors": sum(v for k, v in statuses.items() if not (200 <= k < 400) and k != 429),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "deliveries_expected": expected,
        "deliveries": delivered,
        "lost": expected - delivered,
        "duplicated": duplicated,
        "duplicate_gaps_ms": sorted(duplicate_gaps)[:50],
        # A post that reached a client under two seqs was stored twice: a real bug, unlike
        # one line pushed twice (one seq), which chat.js shows once.
        "duplicated_lines": sum(1 for key, c in seen.items() if c > 1 and len(seqs[key]) > 1),
        "late_or_unmatched": foreign,
        "deliveries_per_s": round(delivered / wall, 1) if wall else None,
        "latency_ms": percentiles(latencies),
        "post_http_ms": percentiles([p.http_ms for p in posts]),
    }


def holds(step: dict) -> bool:
    """Tell whether a step stayed within the limits (p99, loss, failed posts)."""
    p99 = step["latency_ms"]["p99"]
    failed = step["errors"] + step["rejected_429"]
    return (
        step["accepted"] > 0
        and p99 is not None
        and p99 <= P99_LIMIT_MS
        and step["lost"] == 0
        and failed <= 0.01 * step["posts"]
    )


# ---------------------------------------------------------------- one run (steps on one setup)


def run_fanout(args, *, server_env: dict | None = None, during_step=None) -> dict:
    """Start servers, set up clients and run each rate of `rates(args)`; return the result."""
    return asyncio.run(_run(args, server_env or {}, during_step))


def rates(args) -> list[float]:
    """The post rates to run: one fixed rate, an explicit list, or a doubling ramp."""
    if args.rates:
        return [float(r) for r in args.rates.split(",")]
    if args.ramp:
        return [args.rate * (2**n) for n in range(args.max_steps)]
    return [args.rate]


async def _run(args, server_env: dict, during_step) -> dict:
    target = args.target
    setup_started = time.monotonic()
    with BenchEnv(args.database_url, args.redis_url, database=target == "encore") as env:
        profile = getattr(args, "profile", None)
        via_nginx = getattr(args, "via", "direct") == "nginx"
        # The web processes, and with --via nginx the deploy shape around them (nginx,
        # and the Celery worker and beat when asked), all on this run's database and Redis.
        shape = DeployShape(
            env=env,
            web=args.processes,
            nginx=via_nginx,
            celery=via_nginx and getattr(args, "celery", False),
            kind=target,
            async_mode=args.async_mode,
            gc=args.gc,
            server_env=lambda n: {
                **server_env,
                **({"BENCH_PROFILE": os.path.abspath(profile)} if profile and n == 0 else {}),
                **(
                    {"BENCH_EVENTLET_MAX_SIZE": str(args.eventlet_max_size)}
                    if getattr(args, "eventlet_max_size", None)
                    else {}
                ),
            },
        )
        pool = None
        try:
            servers = shape.start().webs
            base_urls = [shape.url] if via_nginx else [s.url for s in servers]
            count = max(2, min(50, args.group_size))
            count = max(count, args.clients - args.clients % count)
            addresses = [client_address(n) for n in range(count)] if via_nginx else None
            if target == "bare":
                setup = setup_bare(base_urls, args, addresses)
            else:
                setup = await setup_encore(env, base_urls, args, addresses)
                if isinstance(setup, str):
                    return {"status": "not available on this build", "reason": setup}
            run = env.run_id
            pool = ClientPool(setup.client_specs, rf"bm{run}q(\d+)\b", args.client_procs)
            await asyncio.get_running_loop().run_in_executor(None, pool.wait_ready)
            setup_s = round(time.monotonic() - setup_started, 1)
            sockets_at_start = shape.sockets_per_web() if via_nginx else None
            steps = []
            first = 0
            labels = getattr(args, "step_labels", None) or []
            capped_at = None
            for number, rate in enumerate(rates(args)):
                per_user = rate / max(1, len(setup.client_specs))
                if (
                    args.ramp
                    and target == "encore"
                    and per_user > FLOOD_RATE_PER_USER
                    and not getattr(args, "past_ceiling", False)
                ):
                    # Past this rate every user types faster than the chat flood limit
                    # allows, so 429s would measure the limit, not the server.
                    capped_at = rate
                    break
                meter = Meter(servers)
                client_cpu0 = pool.cpu_seconds() + time.process_time()
                side = during_step(number, servers, env) if during_step else None
                posts, sending_s, skipped = await post_at_rate(
                    setup, target, rate, args.duration, first, run
                )
                await asyncio.sleep(args.drain)
                receipts, disconnects = await asyncio.get_running_loop().run_in_executor(
                    None, pool.collect
                )
                usage = meter.finish()
                client_cpu = pool.cpu_seconds() + time.process_time() - client_cpu0
                step = {
                    "rate_target": rate,
                    "rate_achieved": round(len(posts) / sending_s, 1) if sending_s else None,
                    "skipped_generator_full": skipped,
                    "per_user_post_rate": round(per_user, 3),
                    **evaluate(posts, receipts, setup, pool.subscribed, sending_s),
                    "disconnects": disconnects,
                    **usage,
                    "client_cpu_cores": round(client_cpu / (sending_s + args.drain), 2),
                }
                step["server_cpu_ms_per_post"] = round(
                    usage["server_cpu_seconds"] * 1000 / max(1, step["posts"]), 2
                )
                step["server_cpu_ms_per_delivery"] = round(
                    usage["server_cpu_seconds"] * 1000 / max(1, step["deliveries"]), 3
                )
                step["others_cpu_cores"] = round(
                    (usage["machine_busy_cores"] or 0)
                    - usage["server_cpu_cores"]
                    - step["client_cpu_cores"],
                    2,
                )
                if side is not None:
                    step["side_load"] = await side
                step["label"] = labels[number] if number < len(labels) else None
                if via_nginx:
                    step["sockets_per_process"] = shape.sockets_per_web()
                step["holds"] = holds(step)
                steps.append(step)
                first += len(posts) + skipped
                print(_step_line(step), flush=True)
                if args.ramp and not step["holds"] and not getattr(args, "past_ceiling", False):
                    break
            passing = [s for s in steps if s["holds"]]
            ceiling = max((s["deliveries_per_s"] for s in passing), default=None)
            return {
                "status": "ok",
                "target": target,
                "async_mode": args.async_mode,
                "gc": args.gc,
                "processes": args.processes,
                "via": "nginx" if via_nginx else "direct",
                "celery": bool(shape.celery),
                "sockets_per_process_at_start": sockets_at_start,
                "clients": len(setup.client_specs),
                "groups": len(setup.groups),
                "group_kinds": dict(Counter(g.kind for g in setup.groups)),
                "connect_failures": dict(pool.failures),
                "setup_seconds": setup_s,
                "duration_s": args.duration,
                "client_procs": args.client_procs,
                "flood_limit_note": (
                    "per-user post rate above the chat flood limit (0.5/s): 429s expected"
                    if any(s["per_user_post_rate"] > FLOOD_RATE_PER_USER for s in steps)
                    and target == "encore"
                    else None
                ),
                "ramp_capped_by_flood_limit_at": capped_at,
                "steps": steps,
                "ceiling_deliveries_per_s": ceiling,
                "ceiling_reached": bool(steps) and not steps[-1]["holds"],
            }
        finally:
            try:
                if pool is not None:
                    try:
                        await asyncio.get_running_loop().run_in_executor(
                            None, lambda: pool.collect(final=True)
                        )
                    finally:
                        pool.close()
                if isinstance(locals().get("setup"), Setup):
                    await asyncio.gather(*(h.close() for h in setup.http))
            finally:
                shape.stop()


def _step_line(step: dict) -> str:
    lat = step["latency_ms"]
    label = f"[{step['label']}] " if step.get("label") else ""
    return (
        f"{label}rate {step['rate_target']:g}/s (got {fmt(step['rate_achieved'])}): "
        f"{fmt(step['deliveries_per_s'])} deliveries/s, p50 {fmt(lat['p50'])} "
        f"p99 {fmt(lat['p99'])} max {fmt(lat['max'])} ms, lost {step['lost']}, "
        f"dup {step['duplicated']}, 429 {step['rejected_429']}, err {step['errors']}, "
        f"cpu {step['server_cpu_cores']} cores ({step['server_cpu_ms_per_post']} ms/post), "
        f"rss {step['server_peak_rss_mib']} MiB, "
        f"gen2 {step['gc']['full_collections']}×≤{step['gc']['full_ms_max']:.0f} ms"
        f", machine busy {step['machine_busy_cores']} cores (others {step['others_cpu_cores']})"
        f" {'holds' if step['holds'] else 'FAILS'}"
    )


def summary_lines(result: dict) -> list[str]:
    """Readable lines for a fan-out result."""
    if result.get("status") != "ok":
        return [f"{result.get('status')}: {result.get('reason')}"]
    lines = [
        f"{result['target']} on {result['async_mode']} (gc {result['gc']}), "
        f"{result['processes']} process(es), {result['clients']} clients in "
        f"{result['groups']} groups {result['group_kinds']}, {result['duration_s']} s per step"
    ]
    if result.get("sockets_per_process_at_start"):
        lines.append(
            f"through nginx: sockets per web process at the start "
            f"{result['sockets_per_process_at_start']}, at the end "
            f"{result['steps'][-1].get('sockets_per_process') if result['steps'] else '–'}"
        )
    lines += [_step_line(s) for s in result["steps"]]
    if result["steps"]:
        lines.append(latency_line("last step latency", result["steps"][-1]["latency_ms"]))
    lines.append(
        f"ceiling: {fmt(result['ceiling_deliveries_per_s'])} deliveries/s"
        + ("" if result["ceiling_reached"] else " (not reached: every step held)")
    )
    if result.get("flood_limit_note"):
        lines.append(result["flood_limit_note"])
    if result.get("ramp_capped_by_flood_limit_at"):
        lines.append(
            f"ramp stopped before {result['ramp_capped_by_flood_limit_at']:g} posts/s: each user"
            " would pass the chat flood limit (5 lines / 10 s); add --clients to go higher"
        )
    return lines


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The fan-out options, shared by the scenarios built on it."""
    common_arguments(parser)
    parser.add_argument("--target", default="encore", choices=["encore", "bare"])
    parser.add_argument("--clients", type=int, default=50, help="socket clients (one per user)")
    parser.add_argument("--group-size", type=int, default=10, help="members per room/channel")
    parser.add_argument(
        "--kind", default="mixed", choices=["mixed", "rooms", "chats"], help="Encore groups"
    )
    parser.add_argument("--rate", type=float, default=10.0, help="posts per second (all groups)")
    parser.add_argument("--rates", help="comma-separated post rates to run in turn")
    parser.add_argument("--ramp", action="store_true", help="double the rate until it fails")
    parser.add_argument("--max-steps", type=int, default=6, help="ramp steps at most")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per step")
    parser.add_argument("--drain", type=float, default=3.0, help="seconds to wait after posting")
    parser.add_argument("--processes", type=int, default=1, help="web server processes")
    parser.add_argument(
        "--via",
        default="direct",
        choices=["direct", "nginx"],
        help="clients go to the processes directly, or through nginx (bench/deploy_shape.py)"
        " from distinct loopback addresses",
    )
    parser.add_argument("--client-procs", type=int, default=1, help="socket client processes")
    parser.add_argument(
        "--eventlet-max-size",
        type=int,
        help="raise eventlet's cap of 1,024 simultaneous connections (Encore server only)",
    )
    parser.add_argument(
        "--profile",
        metavar="FILE",
        help="run the (first) Encore server under cProfile and write its stats to FILE",
    )
    parser.add_argument(
        "--gc",
        default="default",
        choices=GC_CHOICES,
        help="server GC variant (bench/gc_tune.py)",
    )


def main(argv: list[str] | None = None) -> None:
    """Run the fan-out scenario from the command line."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.fanout",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_arguments(parser)
    args = parser.parse_args(argv)
    result = run_fanout(args)
    if result.get("status") != "ok":
        not_available("fanout", result.get("reason", ""), args.json_out, target=args.target)
        return
    report("fanout", result, summary_lines(result), args.json_out)


if __name__ == "__main__":
    main()
