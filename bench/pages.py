"""HTTP pages under concurrent load: room list, room page, stage fragment, profile, leaderboard.

One logged-in member of room 1 (a live show with 50 members) requests each page in turn
from `--concurrency` concurrent connections for `--duration` seconds (closed loop, after a
short warm-up), and the scenario reports p50/p95/p99, requests per second and the server
CPU time per request for each page. One connection gives the service time; more give the
throughput. The server CPU per request does not depend on what else the machine runs.

By default it seeds a small throwaway dataset with bench.seed. For the full-size numbers,
seed once and reuse the database:

    python -m bench.seed --create encore_big --users 100000 --rooms 10000 --performances 1000000
    python -m bench.pages --dataset-url postgresql://postgres@127.0.0.1:5432/encore_big

A page that answers 404 on this build is reported as not available.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from contextlib import closing

from bench.harness import GC_CHOICES, BenchEnv, common_arguments, latency_line, percentiles, report
from bench.server_process import Meter, Server, flask_command
from bench.users import HttpUser

PAGES = (
    ("home", "/", False),
    ("room list", "/rooms/", False),
    ("room page", "/rooms/{room}", False),
    ("stage fragment", "/rooms/{room}/stage", True),
    ("profile", "/users/{username}", False),
    ("leaderboard", "/leaderboard", False),
)
TARGET_P95_MS = {"room page": 30.0, "stage fragment": 30.0}


async def load(http: HttpUser, path: str, htmx: bool, concurrency: int, duration: float) -> dict:
    """Request `path` from `concurrency` loops for `duration` s; return latency and req/s."""
    headers = {"HX-Request": "true"} if htmx else {}
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    stop_at = 0.0

    async def one(record: bool) -> None:
        started = time.monotonic()
        try:
            async with http.session.get(
                http.base_url + path, headers=headers, allow_redirects=False
            ) as response:
                await response.read()
                status = response.status
        except Exception:
            status = -1
        if record:
            latencies.append((time.monotonic() - started) * 1000)
            statuses[status] = statuses.get(status, 0) + 1

    async def worker() -> None:
        while time.monotonic() < stop_at:
            await one(True)

    warm_until = time.monotonic() + min(5.0, duration)
    for _ in range(min(20, concurrency * 2)):  # warm-up: caches, connections
        await one(False)
        if time.monotonic() > warm_until:
            break
    started = time.monotonic()
    stop_at = started + duration
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    wall = time.monotonic() - started
    ok = sum(v for k, v in statuses.items() if 200 <= k < 300)
    return {
        "requests": len(latencies),
        "ok": ok,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "req_per_s": round(len(latencies) / wall, 1),
        "latency_ms": percentiles(latencies),
    }


async def sample_slow_queries(database_url: str, stop: asyncio.Event, threshold_ms: float = 100):
    """Poll pg_stat_activity while a page is loaded; return the slowest statements seen."""
    from bench.harness import pg_connect

    worst: dict[str, float] = {}
    with closing(pg_connect(database_url)) as conn, conn.cursor() as cur:
        cur.execute("SELECT current_database()")
        name = cur.fetchone()[0]
        while not stop.is_set():
            cur.execute(
                "SELECT left(query, 300), extract(epoch FROM now() - query_start) * 1000"
                " FROM pg_stat_activity WHERE datname = %s AND state = 'active'"
                " AND pid <> pg_backend_pid()",
                (name,),
            )
            for query, ms in cur.fetchall():
                if ms is not None and ms >= threshold_ms:
                    worst[query] = max(worst.get(query, 0.0), round(float(ms), 1))
            await asyncio.sleep(0.05)
    ranked = sorted(worst.items(), key=lambda item: -item[1])[:3]
    return [{"query": q, "seen_running_ms": ms} for q, ms in ranked]


async def _run(args, env: BenchEnv) -> dict:
    server = Server(env, async_mode=args.async_mode, gc=args.gc).start()
    http = None
    try:
        with closing(env.db()) as conn, conn.cursor() as cur:
            cur.execute(
                "SELECT u.username FROM room_members m JOIN users u ON u.id = m.user_id"
                " WHERE m.room_id = 1 ORDER BY m.id DESC LIMIT 1"
            )
            viewer = cur.fetchone()[0]
            cur.execute(
                "SELECT u.username FROM rooms r JOIN users u ON u.id = r.host_id WHERE r.id = 1"
            )
            host = cur.fetchone()[0]
            cur.execute("SELECT count(*) FROM users")
            user_count = cur.fetchone()[0]
            cur.execute("SELECT count(*) FROM performances")
            performance_count = cur.fetchone()[0]
            cur.execute("SELECT count(*) FROM rooms")
            room_count = cur.fetchone()[0]
        refresh = None
        if not args.no_refresh:
            # Pages read the hourly leaderboard snapshot; build it as the scheduled job would.
            refresh = flask_command(server, "leaderboard", "refresh")
            state = "done" if refresh["exit_code"] == 0 else "not available on this build"
            print(f"leaderboard refresh: {state} in {refresh['seconds']} s", flush=True)
        http = HttpUser(server.url, connections=max(args.concurrency))
        await http.login(viewer)
        pages = {}
        for name, template, htmx in PAGES:
            if args.only and name not in args.only:
                continue
            path = template.format(room=1, username=host)
            async with http.session.get(server.url + path, allow_redirects=False) as response:
                status = response.status
            if status == 404:
                pages[name] = {"path": path, "status": "not available on this build (404)"}
                print(f"{name}: not available on this build (GET {path} → 404)", flush=True)
                continue
            levels = {}
            for concurrency in args.concurrency:
                meter = Meter([server])
                cpu0 = server.cpu_seconds()
                stop = asyncio.Event()
                sampler = asyncio.create_task(sample_slow_queries(env.database_url, stop))
                result = await load(http, path, htmx, concurrency, args.duration)
                stop.set()
                result["slow_queries"] = await sampler
                cpu = server.cpu_seconds() - cpu0
                usage = meter.finish()
                result.update(
                    server_cpu_cores=usage["server_cpu_cores"],
                    server_cpu_ms_per_request=round(cpu * 1000 / max(1, result["requests"]), 2),
                    machine_busy_cores=usage["machine_busy_cores"],
                    gc=usage["gc"],
                )
                levels[str(concurrency)] = result
                print(
                    f"{name} ×{concurrency}: {result['req_per_s']} req/s, "
                    f"{result['server_cpu_ms_per_request']} ms CPU/request, "
                    + latency_line("", result["latency_ms"]),
                    flush=True,
                )
            entry = {"path": path, "status": "ok", "by_concurrency": levels}
            target = TARGET_P95_MS.get(name)
            if target:
                lowest = levels[str(min(args.concurrency))]
                entry["target_p95_ms"] = target
                entry["meets_target"] = (lowest["latency_ms"]["p95"] or 1e9) <= target
            pages[name] = entry
        return {
            "status": "ok",
            "async_mode": args.async_mode,
            "gc": args.gc,
            "concurrency": args.concurrency,
            "duration_s": args.duration,
            "dataset": {
                "users": user_count,
                "rooms": room_count,
                "performances": performance_count,
                "seed": env.seed_info,
            },
            "leaderboard_refresh": refresh,
            "server_peak_rss_mib": server.memory_mib()["peak_rss_mib"],
            "pages": pages,
        }
    finally:
        if http is not None:
            await http.close()
        server.stop()


def run_pages(args) -> dict:
    """Seed (unless given a dataset), start Encore and load each page."""
    from bench.seed import seed

    with BenchEnv(args.database_url, args.redis_url, existing_database_url=args.dataset_url) as env:
        env.seed_info = None
        if not args.dataset_url:
            env.seed_info = seed(
                env.database_url,
                users=args.users,
                rooms=args.rooms,
                performances=args.performances,
            )
        return asyncio.run(_run(args, env))


def summary_lines(result: dict) -> list[str]:
    """Readable lines for a pages result."""
    data = result["dataset"]
    refresh = result.get("leaderboard_refresh")
    lines = []
    if refresh:
        lines.append(
            f"leaderboard refresh before loading: exit {refresh['exit_code']},"
            f" {refresh['seconds']} s (process start included)"
        )
    lines += [
        f"dataset: {data['users']} users, {data['rooms']} rooms, {data['performances']}"
        f" performances; {result['concurrency']} concurrent, {result['duration_s']} s per page,"
        f" {result['async_mode']}"
    ]
    for name, page in result["pages"].items():
        if page["status"] != "ok":
            lines.append(f"{name} ({page['path']}): {page['status']}")
            continue
        for concurrency, level in page["by_concurrency"].items():
            line = (
                f"{name} ×{concurrency}: {level['req_per_s']} req/s, "
                f"{level['server_cpu_ms_per_request']} ms server CPU/request, "
                + latency_line("", level["latency_ms"])
            )
            bad = {k: v for k, v in level["statuses"].items() if not k.startswith("2")}
            if bad:
                line += f" — non-2xx: {bad}"
            lines.append(line)
            for slow in level.get("slow_queries", [])[:1]:
                lines.append(
                    f"    slowest query seen ({slow['seen_running_ms']} ms): {slow['query']}"
                )
        if "meets_target" in page:
            lines.append(
                f"{name}: target p95 ≤ {page['target_p95_ms']:.0f} ms at the lowest concurrency: "
                + ("met" if page["meets_target"] else "MISSED")
            )
    return lines


def main(argv: list[str] | None = None) -> None:
    """Run the pages scenario from the command line."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.pages",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    common_arguments(parser)
    parser.add_argument("--dataset-url", help="an already seeded database (kept afterwards)")
    parser.add_argument("--users", type=int, default=2000, help="seed size when no dataset")
    parser.add_argument("--rooms", type=int, default=200)
    parser.add_argument("--performances", type=int, default=20_000)
    parser.add_argument(
        "--concurrency",
        type=int,
        nargs="+",
        default=[1, 8],
        help="concurrent connections; several values run one after another",
    )
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per page")
    parser.add_argument("--only", nargs="*", help="page names to run (default: all)")
    parser.add_argument(
        "--no-refresh",
        action="store_true",
        help="skip `flask leaderboard refresh` before loading (measures the fallback path)",
    )
    parser.add_argument("--gc", default="default", choices=GC_CHOICES, help="server GC variant")
    args = parser.parse_args(argv)
    result = run_pages(args)
    report("pages", result, summary_lines(result), args.json_out)


if __name__ == "__main__":
    main()
