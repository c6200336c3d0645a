"""A slow database call must not freeze other users' sockets.

Fan-out runs at a modest fixed rate twice: once alone (baseline), then while another
request holds `SELECT pg_sleep(1)` back to back for the whole step. With the database
driver patched for the async mode (psycogreen), the sleeping request only parks its own
green thread and delivery latency stays where it was; unpatched, every sleep stops the
whole process for a second and p99/max jump past 1,000 ms.

Encore needs a bench-only route for the sleep: GET /_bench/sleep?seconds=1, enabled by
ENCORE_BENCH_ROUTES=1 (the scenario sets it). A build without that route reports
"not available on this build". The bare server has its own /sleep, and `--unpatched`
starts it without psycogreen to show what a freeze looks like.

    python -m bench.slow_db --target bare
    python -m bench.slow_db --target bare --unpatched
    python -m bench.slow_db --target encore
"""

from __future__ import annotations

import asyncio
import time

import aiohttp

from bench.compare import parser_for
from bench.fanout import run_fanout
from bench.harness import fmt, not_available, percentiles, report


def sleeper(path: str, seconds: float, duration: float):
    """Return a during-step hook that keeps one sleeping request in flight on step 2."""

    def hook(number: int, servers, env):
        if number == 0:
            return None
        return asyncio.ensure_future(_sleep_loop(servers[0].url + path, seconds, duration))

    return hook


async def _sleep_loop(url: str, seconds: float, duration: float) -> dict:
    stop_at = time.monotonic() + duration
    timings, statuses = [], {}
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < stop_at:
            started = time.monotonic()
            try:
                async with session.get(url, params={"seconds": str(seconds)}) as response:
                    await response.read()
                    status = response.status
            except Exception:
                status = -1
            timings.append((time.monotonic() - started) * 1000)
            statuses[str(status)] = statuses.get(str(status), 0) + 1
            if status == 404:
                break
    return {"requests": len(timings), "statuses": statuses, "ms": percentiles(timings)}


def main(argv: list[str] | None = None) -> None:
    """Compare delivery latency with and without a request sleeping in the database."""
    parser = parser_for("python -m bench.slow_db", __doc__, rate=10.0, clients=50)
    parser.add_argument("--sleep", type=float, default=1.0, help="seconds per pg_sleep")
    parser.add_argument(
        "--unpatched", action="store_true", help="bare server without psycogreen (a control)"
    )
    args = parser.parse_args(argv)
    args.ramp = False
    args.rates = f"{args.rate},{args.rate}"
    args.step_labels = ["baseline", "with pg_sleep"]
    if args.target == "bare":
        path = "/sleep"
        env = {"DATABASE_URL": args.database_url}
        if args.unpatched:
            env["BENCH_NO_PSYCOGREEN"] = "1"
    else:
        path = "/_bench/sleep"
        env = {"ENCORE_BENCH_ROUTES": "1"}
    result = run_fanout(args, server_env=env, during_step=sleeper(path, args.sleep, args.duration))
    if result.get("status") != "ok":
        not_available("slow_db", result.get("reason", ""), args.json_out)
        return
    steps = result["steps"]
    side = steps[1].get("side_load", {}) if len(steps) > 1 else {}
    if side.get("statuses", {}).get("404"):
        not_available(
            "slow_db",
            f"GET {path} answers 404: Encore needs ENCORE_BENCH_ROUTES=1 to enable /_bench/sleep",
            args.json_out,
        )
        return
    base, slow = steps[0]["latency_ms"], steps[1]["latency_ms"]
    frozen = (slow["max"] or 0) >= 0.8 * args.sleep * 1000
    lines = [
        f"{result['target']} on {result['async_mode']}"
        + (" (psycogreen OFF)" if args.unpatched else ""),
        f"baseline: p50 {fmt(base['p50'])} p99 {fmt(base['p99'])} max {fmt(base['max'])} ms",
        f"with pg_sleep({args.sleep:g}) running: p50 {fmt(slow['p50'])} p99 {fmt(slow['p99'])}"
        f" max {fmt(slow['max'])} ms; {side.get('requests', 0)} sleeps {side.get('statuses')}",
        "sockets froze during the sleep" if frozen else "sockets kept their latency",
    ]
    report(
        "slow_db",
        {"status": "ok", "froze": frozen, "unpatched": args.unpatched, "result": result},
        lines,
        args.json_out,
    )


if __name__ == "__main__":
    main()
