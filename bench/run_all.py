"""Run every benchmark scenario in turn (`make bench`) and collect their JSON results.

Each scenario runs as its own process with bounded sizes and durations, writes its JSON to
bench/results/<UTC time>/<name>.json, and a scenario that fails or is not available on this
build does not stop the others. The closing table lists every scenario's headline.

    python -m bench.run_all                 # the full set (about 45 minutes on 2 idle cores)
    python -m bench.run_all --quick         # a smoke pass: 50 clients, 5 s steps
    python -m bench.run_all --only fanout_bare pages
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.harness import ROOT


def scenarios(quick: bool) -> list[tuple[str, list[str]]]:
    """The scenario runs: (name, module arguments)."""
    clients = "50" if quick else "200"
    duration = "5" if quick else "10"
    steps = "3" if quick else "6"
    ramp = ["--clients", clients, "--duration", duration, "--max-steps", steps]
    runs = [
        ("fanout_bare", ["bench.fanout", "--target", "bare", "--ramp", *ramp]),
        ("fanout_encore", ["bench.fanout", "--target", "encore", "--ramp", *ramp]),
        ("stage_fanout", ["bench.stage_fanout", "--duration", duration]),
        ("room_render", ["bench.room_render", "--requests", "50" if quick else "200"]),
        ("pages", ["bench.pages", "--duration", duration]),
        # Needs the 100k-user dataset (bench.seed, see bench/page_cost.py); says so if absent.
        ("page_cost", ["bench.page_cost", "--requests", "20" if quick else "100"]),
        ("join_race", ["bench.join_race", "--repeats", "2" if quick else "5"]),
        ("async_modes_bare", ["bench.async_modes", "--target", "bare", *ramp]),
        ("async_modes_encore", ["bench.async_modes", "--target", "encore", *ramp]),
        ("scaleout_bare", ["bench.scaleout", "--target", "bare", *ramp]),
        ("scaleout_encore", ["bench.scaleout", "--target", "encore", *ramp]),
        ("slow_db_bare", ["bench.slow_db", "--target", "bare", "--duration", duration]),
        (
            "slow_db_bare_unpatched_gevent",
            [
                "bench.slow_db",
                "--target",
                "bare",
                "--unpatched",
                "--async-mode",
                "gevent",
                "--duration",
                duration,
            ],
        ),
        ("slow_db_encore", ["bench.slow_db", "--target", "encore", "--duration", duration]),
        ("bare_vs_encore", ["bench.bare_vs_encore", *ramp]),
        ("gc_variants_bare", ["bench.gc_variants", "--target", "bare", *ramp]),
        ("gc_variants_encore", ["bench.gc_variants", "--target", "encore", *ramp]),
        ("overload", ["bench.overload", "--duration", duration]),
    ]
    if (ROOT / "bench" / "leaderboard_refresh.py").exists():
        runs.insert(4, ("leaderboard_refresh", ["bench.leaderboard_refresh"]))
    return runs


def headline(name: str, data: dict) -> str:
    """One line that says what a scenario found."""
    if data.get("status") != "ok":
        return f"{data.get('status')}: {data.get('reason', '')}"[:160]
    if "ceiling_deliveries_per_s" in data:
        reached = "" if data.get("ceiling_reached") else " (not reached: every step held)"
        return f"ceiling {data['ceiling_deliveries_per_s']} deliveries/s{reached}"
    if "variants" in data:
        parts = [
            f"{label}: {result.get('ceiling_deliveries_per_s')}"
            for label, result in data["variants"].items()
        ]
        for key in ("gevent_over_eventlet", "two_over_one", "encore_over_bare"):
            if key in data:
                parts.append(f"{key} {data[key]}")
        return "ceilings (deliveries/s) " + ", ".join(parts)
    if "pages" in data:
        parts = []
        for page, info in data["pages"].items():
            if info.get("status") != "ok":
                parts.append(f"{page}: n/a")
                continue
            level = next(iter(info["by_concurrency"].values()))
            parts.append(f"{page}: p95 {level['latency_ms']['p95']} ms")
        return ", ".join(parts)
    if "meets_target" in data and "subscribed_clients" in data:
        verdict = "met" if data["meets_target"] else "MISSED"
        return (
            f"stage p99 {data['latency_ms']['p99']} ms to {data['subscribed_clients']} sockets"
            f" (target ≤ {data['target_p99_ms']:.0f}: {verdict})"
        )
    if "all_correct" in data:
        return f"all correct: {data['all_correct']}, p99 {data['latency_ms']['p99']} ms"
    if "froze" in data:
        return "sockets froze" if data["froze"] else "sockets kept their latency"
    if "lost_accepted" in data:
        return f"lost accepted messages: {data['lost_accepted']} ({data['verdict']})"
    return "done"


def main(argv: list[str] | None = None) -> None:
    """Run the scenarios and print a closing table."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.run_all",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="small smoke sizes")
    parser.add_argument("--only", nargs="*", help="scenario names to run")
    parser.add_argument("--skip", nargs="*", default=[], help="scenario names to leave out")
    parser.add_argument("--timeout", type=float, default=1200, help="seconds per scenario")
    parser.add_argument("--out", help="results folder (default bench/results/<time>)")
    args = parser.parse_args(argv)
    busy = os.getloadavg()[0]
    if busy > 0.5 * (os.cpu_count() or 1):
        print(
            f"warning: load average {busy:.1f} on {os.cpu_count()} cores before starting;"
            " latencies and ceilings will be lower bounds (see machine_busy_cores per step)",
            flush=True,
        )
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = Path(args.out or ROOT / "bench" / "results" / stamp)
    out.mkdir(parents=True, exist_ok=True)
    table = []
    for name, command in scenarios(args.quick):
        if (args.only and name not in args.only) or name in args.skip:
            continue
        json_path = out / f"{name}.json"
        full = [sys.executable, "-m", *command]
        if _accepts_json_out(command[0]):
            full += ["--json-out", str(json_path)]
        print(f"\n### {name}: {' '.join(full[1:])}", flush=True)
        started = time.monotonic()
        try:
            finished = subprocess.run(full, cwd=ROOT, timeout=args.timeout, check=False)
            code = finished.returncode
        except subprocess.TimeoutExpired:
            code = "timeout"
        seconds = round(time.monotonic() - started)
        if json_path.exists():
            line = headline(name, json.loads(json_path.read_text()))
        else:
            line = f"no JSON result (exit {code})"
        table.append((name, seconds, line))
    print(f"\n== bench summary ({out}) ==")
    for name, seconds, line in table:
        print(f"{name:32} {seconds:5d} s  {line}")
    (out / "summary.txt").write_text(
        "\n".join(f"{name}\t{seconds}\t{line}" for name, seconds, line in table) + "\n"
    )


def _accepts_json_out(module: str) -> bool:
    """Tell whether a scenario takes --json-out (one written by someone else may not)."""
    try:
        text = subprocess.run(
            [sys.executable, "-m", module, "--help"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        ).stdout
    except subprocess.TimeoutExpired:
        return False
    return "--json-out" in text


if __name__ == "__main__":
    main()
