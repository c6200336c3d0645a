"""Scale-out: one, two and three web processes sharing the Redis queue, same clients and load.

By default (`--via nginx`) the processes stand behind nginx with ip_hash, as deployed
(bench/deploy_shape.py), and every client connects from its own loopback network, so
ip_hash spreads them; each variant reports how many sockets each process held. With
`--via direct` clients and posters are spread round-robin over the processes themselves,
so every group has members on each and each message crosses the queue. Encore runs with
the chat flood rule lifted, so the ramp climbs to each shape's ceiling.

    python -m bench.scaleout --clients 200 --target encore
    python -m bench.scaleout --clients 200 --target encore --via direct
"""

from bench.compare import finish, parser_for, ratio, run_variants
from bench.fanout import FLOOD_LIFTED


def spread_lines(results: dict) -> list[str]:
    """Per variant, the sockets each web process held (behind nginx): ip_hash's spread."""
    lines = []
    for label, result in results.items():
        spread = result.get("sockets_per_process_at_start")
        if spread:
            lines.append(f"{label}: sockets per web process {list(spread.values())}")
    return lines


def main(argv: list[str] | None = None) -> None:
    """Ramp fan-out on one, two and three processes, and compare aggregate ceilings."""
    args = parser_for("python -m bench.scaleout", __doc__, via="nginx").parse_args(argv)
    env = FLOOD_LIFTED if args.target == "encore" else {}
    results = run_variants(
        args,
        [
            (f"{args.target} × 1 process", {"processes": 1}, env),
            (f"{args.target} × 2 processes", {"processes": 2}, env),
            (f"{args.target} × 3 processes", {"processes": 3}, env),
        ],
    )
    gain = ratio(results, f"{args.target} × 2 processes", f"{args.target} × 1 process")
    gain3 = ratio(results, f"{args.target} × 3 processes", f"{args.target} × 1 process")
    finish(
        "scaleout",
        args,
        results,
        {"two_over_one": gain, "three_over_one": gain3},
        [
            f"2 processes / 1 process ceiling: {gain}; 3 / 1: {gain3} (via {args.via})",
            *spread_lines(results),
            "on a 2-core machine that also runs the clients, the second process competes"
            " with the load generator for CPU",
        ],
    )


if __name__ == "__main__":
    main()
