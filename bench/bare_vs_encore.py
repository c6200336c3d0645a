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

GOAL = 0.5


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
    value = ratio(results, f"encore {args.async_mode}", f"bare {args.async_mode}")
    verdict = "not measured" if value is None else ("met" if value >= GOAL else "MISSED")
    finish(
        "bare_vs_encore",
        args,
        results,
        {"encore_over_bare": value, "goal": GOAL, "verdict": verdict},
        [f"Encore / bare ceiling: {value} (goal ≥ {GOAL}: {verdict})"],
    )


if __name__ == "__main__":
    main()
