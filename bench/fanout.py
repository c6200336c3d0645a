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
import time
from collections import Counter

from bench.cpu_quota import throttling_text
from bench.deploy_shape import DeployShape, client_address
from bench.fanout_clients import ClientPool
from bench.fanout_groups import Setup, setup_bare, setup_encore
from bench.fanout_posts import evaluate, post_at_rate
from bench.harness import (
    GC_CHOICES,
    BenchEnv,
    common_arguments,
    fmt,
    latency_line,
    not_available,
    report,
)
from bench.server_process import Meter

P99_LIMIT_MS = 500.0
# Server settings that lift the flood rule, for benches that push each user past it so the
# 429s they see are the server shedding load (bench/overload.py, bench/bare_vs_encore.py).
FLOOD_LIFTED = {"ENCORE_CHAT_FLOOD_LINES": "100000"}


def flood_rate_per_user(server_env: dict) -> float:
    """Lines a second one user may post under the flood rule the server runs with."""
    lines = int(server_env.get("ENCORE_CHAT_FLOOD_LINES", 5))
    return lines / int(server_env.get("ENCORE_CHAT_FLOOD_SECONDS", 10))


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
        cpu_quota = getattr(args, "cpu_quota", None)
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
            cpu_quota=cpu_quota,
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
                    and per_user > flood_rate_per_user(server_env)
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
            # Each capped process's throttling over the whole run, read before they stop.
            quota = (
                {
                    "cpu_quota_per_process": cpu_quota,
                    "cpu_throttling_at_end": [s.cpu_throttling() for s in servers],
                }
                if cpu_quota
                else {}
            )
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
                    if any(s["per_user_post_rate"] > flood_rate_per_user(server_env) for s in steps)
                    and target == "encore"
                    else None
                ),
                "ramp_capped_by_flood_limit_at": capped_at,
                "steps": steps,
                "ceiling_deliveries_per_s": ceiling,
                "ceiling_reached": bool(steps) and not steps[-1]["holds"],
                **quota,
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
        + (
            f", throttled {throttling_text(step['cpu_throttled_per_process'])}"
            if step.get("cpu_throttled_per_process")
            else ""
        )
        + f" {'holds' if step['holds'] else 'FAILS'}"
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
