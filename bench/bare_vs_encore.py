"""The product's own cost: the fan-out ramp against the bare Flask-SocketIO server and Encore.

Same async mode, same Redis, same clients and posting schedule. The ratio of ceilings is
what Encore's database write, rendering and authorisation cost; the goal is that Encore
carries at least half the bare server's ceiling. Encore runs with the chat flood rule
lifted, so its ramp climbs to its own ceiling instead of stopping where 200 users would
type faster than the rule allows.

    python -m bench.bare_vs_encore --clients 200 --async-mode gevent
"""

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


def main(argv: list[str] | None = None) -> None:
    """Ramp the bare server, then Encore, and report the ratio of their ceilings."""
    args = parser_for("python -m bench.bare_vs_encore", __doc__).parse_args(argv)
    results = run_variants(
        args,
        [
            (f"bare {args.async_mode}", {"target": "bare"}, {}),
            (f"encore {args.async_mode}", {"target": "encore"}, FLOOD_LIFTED),
        ],
    )
    encore, bare = results[f"encore {args.async_mode}"], results[f"bare {args.async_mode}"]
    value = ratio(results, f"encore {args.async_mode}", f"bare {args.async_mode}")
    said = verdict(value, bare)
    per_delivery = cpu_ratios(encore, bare)
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
            "cpu_goal": CPU_GOAL,
            "cpu_verdict": cpu_verdict,
        },
        [
            f"Encore / bare ceiling: {value} (goal ≥ {GOAL}: {said})",
            "Encore / bare CPU a delivery by posts/s: "
            + (", ".join(f"{rate}: {r} ×" for rate, r in per_delivery.items()) or "none")
            + f" (goal ≤ {CPU_GOAL} ×: {cpu_verdict})",
        ],
    )


if __name__ == "__main__":
    main()
