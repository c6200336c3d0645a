"""Join race: M logged-in users press "join" on the same room at once, for K free seats.

Each repeat opens a fresh room (POST /rooms/ with capacity K + 1: the host holds one seat),
releases all M join POSTs together, and then checks the database. Correct means exactly K
admitted, M − K clear 409s, no 5xx, and seats_taken equal to the members actually seated.

    python -m bench.join_race --joiners 50 --seats 10 --repeats 5

Needs the rooms area (POST /rooms/, /rooms/<id>/join); on a build without it the scenario
reports "not available on this build".
"""

from __future__ import annotations

import argparse
import asyncio
import re
import time
from collections import Counter
from contextlib import closing

from bench.harness import (
    BenchEnv,
    common_arguments,
    latency_line,
    not_available,
    percentiles,
    report,
)
from bench.server_process import Server
from bench.users import bulk_users, login_all, route_exists


async def _race(env: BenchEnv, server: Server, args) -> dict:
    if not await route_exists(server.url, "/rooms/"):
        return {"status": "not available on this build", "reason": "GET /rooms/ answers 404"}
    with closing(env.db()) as conn:
        users = bulk_users(conn, args.joiners + args.repeats, "race" + env.run_id)
    sessions = await login_all([server.url], users)
    hosts, joiners = sessions[: args.repeats], sessions[args.repeats :]
    rounds = []
    all_latencies: list[float] = []
    try:
        for n, host in enumerate(hosts):
            status, _body, headers = await host.post(
                "/rooms/",
                {
                    "title": f"Race {n}",
                    "description": "",
                    "category": "talent",
                    "mode": "casual",
                    "capacity": str(args.seats + 1),
                },
                htmx=False,
            )
            match = re.search(r"/rooms/(\d+)", headers.get("Location", ""))
            if status not in (302, 303) or not match:
                return {"status": "error", "reason": f"creating a room answered {status}"}
            room_id = int(match.group(1))
            with closing(env.db()) as conn, conn.cursor() as cur:
                cur.execute("SELECT capacity, seats_taken FROM rooms WHERE id = %s", (room_id,))
                capacity, taken_before = cur.fetchone()
            free = capacity - taken_before
            gate = asyncio.Event()
            results: list[tuple[int, float]] = []

            async def join(http, room_id=room_id, gate=gate, results=results) -> None:
                await gate.wait()
                started = time.monotonic()
                try:
                    status, _b, _h = await http.post(f"/rooms/{room_id}/join", {}, htmx=False)
                except Exception:
                    status = -1
                results.append((status, (time.monotonic() - started) * 1000))

            tasks = [asyncio.create_task(join(h)) for h in joiners]
            await asyncio.sleep(0.2)  # every task is parked at the gate
            wall = time.monotonic()
            gate.set()
            await asyncio.gather(*tasks)
            wall = time.monotonic() - wall
            with closing(env.db()) as conn, conn.cursor() as cur:
                cur.execute(
                    "SELECT count(*) FROM room_members WHERE room_id = %s AND left_at IS NULL",
                    (room_id,),
                )
                seated = cur.fetchone()[0]
                cur.execute("SELECT seats_taken FROM rooms WHERE id = %s", (room_id,))
                seats_taken = cur.fetchone()[0]
            statuses = Counter(s for s, _ in results)
            admitted = sum(v for k, v in statuses.items() if k in (200, 201, 204, 302, 303))
            conflicts = statuses.get(409, 0)
            server_errors = sum(v for k, v in statuses.items() if k >= 500 or k < 0)
            latencies = [ms for _, ms in results]
            all_latencies += latencies
            correct = (
                admitted == min(free, len(joiners))
                and seated == taken_before + admitted
                and seated <= capacity
                and seats_taken == seated
                and conflicts == len(joiners) - admitted
                and server_errors == 0
            )
            rounds.append(
                {
                    "room_id": room_id,
                    "capacity": capacity,
                    "free_seats": free,
                    "admitted": admitted,
                    "conflicts_409": conflicts,
                    "server_errors": server_errors,
                    "statuses": {str(k): v for k, v in sorted(statuses.items())},
                    "seated_in_db": seated,
                    "seats_taken_in_db": seats_taken,
                    "correct": correct,
                    "wall_ms": round(wall * 1000, 1),
                    "latency_ms": percentiles(latencies),
                }
            )
            print(
                f"round {n + 1}: {admitted} admitted for {free} seats, {conflicts}×409, "
                f"{server_errors} errors, db {seated}/{capacity} — "
                f"{'correct' if correct else 'WRONG'}",
                flush=True,
            )
    finally:
        await asyncio.gather(*(s.close() for s in sessions))
    return {
        "status": "ok",
        "async_mode": args.async_mode,
        "joiners": len(joiners),
        "seats": args.seats,
        "repeats": args.repeats,
        "all_correct": all(r["correct"] for r in rounds),
        "latency_ms": percentiles(all_latencies),
        "rounds": rounds,
    }


def run_join_race(args) -> dict:
    """Start Encore on a throwaway database and run the races."""
    with BenchEnv(args.database_url, args.redis_url) as env:
        server = Server(env, async_mode=args.async_mode).start()
        try:
            return asyncio.run(_race(env, server, args))
        finally:
            server.stop()


def main(argv: list[str] | None = None) -> None:
    """Run the join race from the command line."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.join_race",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    common_arguments(parser)
    parser.add_argument("--joiners", type=int, default=50, help="concurrent joiners (M)")
    parser.add_argument("--seats", type=int, default=10, help="free seats (K), at most 49")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    args.seats = max(1, min(49, args.seats))
    result = run_join_race(args)
    if result["status"] != "ok":
        not_available("join_race", result.get("reason", ""), args.json_out)
        return
    summary = [
        f"{result['joiners']} joiners for {result['seats']} seats × {result['repeats']} on "
        f"{result['async_mode']}: {'all correct' if result['all_correct'] else 'INCORRECT'}",
        latency_line("join latency", result["latency_ms"]),
    ]
    report("join_race", result, summary, args.json_out)


if __name__ == "__main__":
    main()
