"""Soak: many clients for many minutes, one step per minute, looking for drift and leaks.

The fan-out scenario (bench/fanout.py) at one steady post rate, repeated minute after
minute on the same servers and the same connected clients: every minute reports its
latency (p50/p99), what was lost, and each web process's resident memory, so growth and
drift show as a trend rather than a single number.

    python -m bench.soak                         # 500 clients, 30 minutes, 3 processes
    python -m bench.soak --clients 60 --minutes 1                 # a quick look
    python -m bench.soak --via direct --no-celery                 # the processes alone

By default the clients go through nginx (ip_hash) to three web processes with the Celery
worker and beat running (bench/deploy_shape.py), each client from its own loopback network.

Each minute posts for (60 - drain) seconds then waits `--drain` seconds for deliveries, so
a late message is never counted in the next minute. Benchmarks report; they never assert.
"""

from __future__ import annotations

import argparse

from bench import fanout
from bench.harness import fmt, not_available, report


def parse(argv: list[str] | None) -> argparse.Namespace:
    """The fan-out options, with soak defaults and --minutes."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.soak",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    fanout.add_arguments(parser)
    parser.add_argument("--minutes", type=int, default=30, help="how long to soak (default 30)")
    parser.add_argument(
        "--no-celery", dest="celery", action="store_false", help="no Celery worker and beat"
    )
    # The deployed shape by default: nginx (ip_hash) before three web processes, with the
    # Celery worker and beat running beside them.
    parser.set_defaults(
        clients=500, processes=3, client_procs=2, rate=10.0, drain=3.0, via="nginx", celery=True
    )
    args = parser.parse_args(argv)
    args.duration = max(1.0, 60.0 - args.drain)
    args.rates = ",".join([f"{args.rate:g}"] * max(1, args.minutes))
    args.ramp = False
    args.step_labels = [f"minute {n + 1}" for n in range(args.minutes)]
    return args


def trend(result: dict) -> dict:
    """Growth and drift between the first and the last minutes, and the total lost."""
    steps = result["steps"]
    first, last = steps[0], steps[-1]
    rss_first, rss_last = first["server_rss_mib"], last["server_rss_mib"]
    return {
        "minutes": len(steps),
        "rss_mib_first_minute": rss_first,
        "rss_mib_last_minute": rss_last,
        "rss_growth_mib_per_process": [
            round((b or 0) - (a or 0), 1) for a, b in zip(rss_first, rss_last, strict=True)
        ],
        "p50_ms_per_minute": [s["latency_ms"]["p50"] for s in steps],
        "p99_ms_per_minute": [s["latency_ms"]["p99"] for s in steps],
        "lost_total": sum(s["lost"] for s in steps),
        "duplicated_total": sum(s["duplicated"] for s in steps),
        "duplicated_lines_total": sum(s.get("duplicated_lines", 0) for s in steps),
        # Per duplicated push: the minute and the time between its two copies.
        "duplicates": [
            {"minute": n + 1, "gap_ms": gap}
            for n, s in enumerate(steps)
            for gap in s.get("duplicate_gaps_ms", [])
        ],
        "deliveries_total": sum(s["deliveries"] for s in steps),
        "errors_total": sum(s["errors"] for s in steps),
        "rejected_429_total": sum(s["rejected_429"] for s in steps),
        "disconnects": last["disconnects"],
        "load_average_per_minute": [s["load_average_1m"] for s in steps],
    }


def main(argv: list[str] | None = None) -> None:
    """Soak, then report the per-minute lines and the trend."""
    args = parse(argv)
    result = fanout.run_fanout(args)
    if result.get("status") != "ok":
        not_available("soak", result.get("reason", ""), args.json_out)
        return
    result["soak"] = trend(result)
    soak = result["soak"]
    lines = fanout.summary_lines(result)[:-1]
    lines += [
        f"memory per process, first → last minute: {soak['rss_mib_first_minute']} → "
        f"{soak['rss_mib_last_minute']} MiB (growth {soak['rss_growth_mib_per_process']})",
        f"p50 per minute: {[fmt(v) for v in soak['p50_ms_per_minute']]}",
        f"p99 per minute: {[fmt(v) for v in soak['p99_ms_per_minute']]}",
        f"lost {soak['lost_total']} of {soak['deliveries_total'] + soak['lost_total']} "
        f"deliveries, duplicated {soak['duplicated_total']}, errors {soak['errors_total']}, "
        f"429 {soak['rejected_429_total']}, socket disconnects {soak['disconnects']}",
    ]
    if soak["duplicates"]:
        lines.append(
            "duplicated pushes (minute, ms between the copies; a browser's chat.js shows a "
            f"line once, by its seq): {soak['duplicates']}; of them under two seqs (a line "
            f"stored twice): {soak['duplicated_lines_total']}"
        )
    report("soak", result, lines, args.json_out)


if __name__ == "__main__":
    main()
