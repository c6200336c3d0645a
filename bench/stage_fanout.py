"""Stage events: how fast a `stage` event reaches every subscribed member of one full room.

A lobby room holds the host and `--watchers` members, all connected and subscribed to the
room (49 sockets by default: capacity 50 keeps one seat free). One more user then joins
and leaves in turn, `--rate` times a second; each of those is a stage change that bumps
the room's version and sends one `stage` event. Latency runs from just before the POST to
the event with that version arriving at each socket. The target (issue 3) is p99 under
100 ms for 50 clients on one process.

    python -m bench.stage_fanout --watchers 48 --rate 2 --duration 10
"""

from __future__ import annotations

import argparse
import asyncio
import re
import time
from contextlib import closing

from bench.fanout_clients import ClientPool
from bench.harness import (
    BenchEnv,
    common_arguments,
    latency_line,
    not_available,
    percentiles,
    report,
)
from bench.server_process import Meter, Server
from bench.users import bulk_users, login_all, route_exists

TARGET_P99_MS = 100.0


async def _run(env: BenchEnv, server: Server, args) -> dict:
    if not await route_exists(server.url, "/rooms/"):
        return {"status": "not available on this build", "reason": "GET /rooms/ answers 404"}
    watchers = max(1, min(48, args.watchers))
    with closing(env.db()) as conn:
        users = bulk_users(conn, watchers + 2, "stage" + env.run_id)
    sessions = await login_all([server.url], users)
    host, members, toggler = sessions[0], sessions[1 : watchers + 1], sessions[-1]
    pool = None
    try:
        status, _b, headers = await host.post(
            "/rooms/",
            {
                "title": "Stage bench",
                "description": "",
                "category": "talent",
                "mode": "casual",
                "capacity": str(watchers + 2),
            },
            htmx=False,
        )
        match = re.search(r"/rooms/(\d+)", headers.get("Location", ""))
        if status not in (302, 303) or not match:
            return {"status": "error", "reason": f"creating a room answered {status}"}
        room_id = int(match.group(1))
        for member in members:
            status, _b, _h = await member.post(f"/rooms/{room_id}/join", {}, htmx=False)
            if status >= 400:
                return {"status": "error", "reason": f"joining answered {status}"}
        specs = [
            {
                "index": n,
                "url": server.url,
                "cookie": http.cookie_header(),
                "subscribe": [{"room_id": room_id}],
            }
            for n, http in enumerate([host, *members])
        ]
        pool = ClientPool(specs, "", args.client_procs, event="stage")
        await asyncio.get_running_loop().run_in_executor(None, pool.wait_ready)
        await asyncio.sleep(0.5)
        await asyncio.get_running_loop().run_in_executor(None, pool.collect)  # drop joins
        sent: dict[int, float] = {}
        statuses: dict[str, int] = {}
        http_ms: list[float] = []
        meter = Meter([server])
        total = max(1, round(args.rate * args.duration))
        start = time.monotonic()
        for n in range(total):
            delay = start + n / args.rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            action = "join" if n % 2 == 0 else "leave"
            posted = time.monotonic()
            status, _b, _h = await toggler.post(f"/rooms/{room_id}/{action}", {}, htmx=False)
            http_ms.append((time.monotonic() - posted) * 1000)
            statuses[str(status)] = statuses.get(str(status), 0) + 1
            with closing(env.db()) as conn, conn.cursor() as cur:
                cur.execute("SELECT version FROM rooms WHERE id = %s", (room_id,))
                sent[cur.fetchone()[0]] = posted
        await asyncio.sleep(args.drain)
        receipts, disconnects = await asyncio.get_running_loop().run_in_executor(None, pool.collect)
        usage = meter.finish()
        subscribed = [c for c, rooms in pool.subscribed.items() if room_id in rooms]
        latencies, got = [], set()
        for client, version, received in receipts:
            if version in sent and (client, version) not in got:
                got.add((client, version))
                latencies.append((received - sent[version]) * 1000)
        expected = len(sent) * len(subscribed)
        stats = percentiles(latencies)
        return {
            "status": "ok",
            "async_mode": args.async_mode,
            "subscribed_clients": len(subscribed),
            "stage_changes": len(sent),
            "post_statuses": statuses,
            "deliveries_expected": expected,
            "deliveries": len(got),
            "lost": expected - len(got),
            "duplicated": len(receipts) - len(got) - sum(1 for r in receipts if r[1] not in sent),
            "disconnects": disconnects,
            "latency_ms": stats,
            "post_http_ms": percentiles(http_ms),
            "target_p99_ms": TARGET_P99_MS,
            "meets_target": stats["p99"] is not None and stats["p99"] <= TARGET_P99_MS,
            **usage,
        }
    finally:
        if pool is not None:
            await asyncio.get_running_loop().run_in_executor(None, lambda: pool.collect(final=True))
            pool.close()
        await asyncio.gather(*(s.close() for s in sessions))


def main(argv: list[str] | None = None) -> None:
    """Run the stage-event scenario from the command line."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.stage_fanout",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    common_arguments(parser)
    parser.add_argument("--watchers", type=int, default=48, help="members besides the host")
    parser.add_argument("--rate", type=float, default=2.0, help="stage changes per second")
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--drain", type=float, default=2.0)
    parser.add_argument("--client-procs", type=int, default=1)
    parser.add_argument("--gc", default="default", help="server GC variant (bench/gc_tune.py)")
    args = parser.parse_args(argv)
    with BenchEnv(args.database_url, args.redis_url) as env:
        server = Server(env, async_mode=args.async_mode, gc=args.gc).start()
        try:
            result = asyncio.run(_run(env, server, args))
        finally:
            server.stop()
    if result["status"] != "ok":
        not_available("stage_fanout", result.get("reason", ""), args.json_out)
        return
    summary = [
        f"{result['subscribed_clients']} sockets in one room, {result['stage_changes']} stage"
        f" changes on {result['async_mode']}: lost {result['lost']},"
        f" duplicated {result['duplicated']}",
        latency_line("POST join/leave (HTTP)", result["post_http_ms"]),
        latency_line("stage event latency", result["latency_ms"])
        + f" — target p99 ≤ {TARGET_P99_MS:.0f} ms: "
        + ("met" if result["meets_target"] else "MISSED"),
        f"server {result['server_cpu_cores']} cores, peak RSS {result['server_peak_rss_mib']} MiB,"
        f" machine busy {result['machine_busy_cores']} cores",
    ]
    report("stage_fanout", result, summary, args.json_out)


if __name__ == "__main__":
    main()
