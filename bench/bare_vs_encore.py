"""The product's own cost: the fan-out ramp against the bare Flask-SocketIO server and Encore.

Same async mode, same Redis, same clients and posting schedule. The ratio of ceilings is
what Encore's database write, rendering and authorisation cost; the goal is that Encore
carries at least half the bare server's ceiling. Encore runs with the chat flood rule
lifted, so its ramp climbs to its own ceiling instead of stopping where 200 users would
type faster than the rule allows.

Both servers get room fan-out (`--kind rooms`, the issue's measure): a post to a group
conversation also sends every member an `inbox` count, a second frame per member that no
delivery counts, so a mixed run held Encore to more work than the bare server's. Each
post comes from its poster's own connection on both servers.

    python -m bench.bare_vs_encore --clients 200 --async-mode gevent
    python -m bench.bare_vs_encore --clients 200 --rates 80,160 --rounds 4   # medians
"""

import statistics

from bench.compare import finish, parser_for, ratio, run_variants
from bench.fanout import FLOOD_LIFTED

GOAL = 0.5  # Encore's ceiling over the bare server's
CPU_GOAL = 2.0  # Encore's server CPU a delivery over the bare server's, at the same rate


def cpu_ratios(encore: dict, bare: dict) -> dict[str, float]:
    """Encore's server CPU a post over the bare server's, at each rate both servers held."""
    held = {s["rate_target"]: s for s in bare.get("steps", []) if s["holds"]}
    ratios = {}
    for step in encore.get("steps", []):
        other = held.get(step["rate_target"])
        if step["holds"] and other and other["server_cpu_ms_per_post"]:
            ratios[f"{step['rate_target']:g}"] = round(
                step["server_cpu_ms_per_post"] / other["server_cpu_ms_per_post"], 2
            )
    return ratios


def verdict(value: float | None, bare: dict) -> str:
    """Say whether the ceilings meet the goal; a bare server that never failed bounds it."""
    if value is None:
        return "not measured"
    if value < GOAL:
        return "MISSED"
    if not bare.get("ceiling_reached"):
        # Its last step held: its ceiling is higher still, so the ratio is only an upper bound.
        return "not shown (the bare server held every step; the ratio is at most this)"
    return "met"


def median_ratios(rounds: list[dict[str, float]]) -> dict[str, float]:
    """The median of each rate's ratio over the rounds that measured it."""
    rates = sorted({rate for ratios in rounds for rate in ratios}, key=float)
    return {
        rate: round(statistics.median(r[rate] for r in rounds if rate in r), 2) for rate in rates
    }


def main(argv: list[str] | None = None) -> None:
    """Ramp the bare server, then Encore (`--rounds` times, alternating), and report the
    ratio of their ceilings and of their CPU a delivery.

    One pair of runs is at the mercy of the machine: on a VM the bare server's own CPU a
    post has moved by 2 × between two runs of one build. With `--rounds N` the pair runs
    N times, bare then Encore each time, and each rate's ratio is the median of the N
    paired ratios.
    """
    parser = parser_for("python -m bench.bare_vs_encore", __doc__, kind="rooms")
    parser.add_argument(
        "--rounds", type=int, default=1, help="pairs of runs, alternating; ratios are medians"
    )
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    mode = args.async_mode
    results: dict = {}
    ceilings: list[float] = []
    rounds: list[dict[str, float]] = []
    for number in range(1, args.rounds + 1):
        suffix = f" #{number}" if args.rounds > 1 else ""
        bare_label, encore_label = f"bare {mode}{suffix}", f"encore {mode}{suffix}"
        pair = run_variants(
            args,
            [
                (bare_label, {"target": "bare"}, {}),
                (encore_label, {"target": "encore"}, FLOOD_LIFTED),
            ],
        )
        results.update(pair)
        paired = ratio(pair, encore_label, bare_label)
        if paired is not None:
            ceilings.append(paired)
        rounds.append(cpu_ratios(pair[encore_label], pair[bare_label]))
    bare = results[bare_label]
    value = round(statistics.median(ceilings), 2) if ceilings else None
    said = verdict(value, bare)
    per_delivery = median_ratios(rounds)
    worst = max(per_delivery.values(), default=None)
    cpu_verdict = "not measured" if worst is None else ("met" if worst <= CPU_GOAL else "MISSED")
    finish(
        "bare_vs_encore",
        args,
        results,
        {
            "encore_over_bare": value,
            "goal": GOAL,
            "verdict": said,
            "cpu_per_delivery_encore_over_bare": per_delivery,
            "cpu_per_delivery_by_round": rounds,
            "cpu_goal": CPU_GOAL,
            "cpu_verdict": cpu_verdict,
        },
        [
            f"Encore / bare ceiling: {value} (goal ≥ {GOAL}: {said})",
            "Encore / bare CPU a delivery by posts/s"
            + (f", median of {args.rounds} rounds" if args.rounds > 1 else "")
            + ": "
            + (", ".join(f"{rate}: {r} ×" for rate, r in per_delivery.items()) or "none")
            + f" (goal ≤ {CPU_GOAL} ×: {cpu_verdict})",
        ],
    )


if __name__ == "__main__":
    main()
