"""Scale-out: one, two and three web processes sharing the Redis queue, same clients and load.

Clients and posters are spread round-robin over the processes, so every group has members
on both and each message crosses the queue.

    python -m bench.scaleout --clients 200 --target encore
"""

from bench.compare import finish, parser_for, ratio, run_variants


def main(argv: list[str] | None = None) -> None:
    """Ramp fan-out on one, two and three processes, and compare aggregate ceilings."""
    args = parser_for("python -m bench.scaleout", __doc__).parse_args(argv)
    results = run_variants(
        args,
        [
            (f"{args.target} × 1 process", {"processes": 1}, {}),
            (f"{args.target} × 2 processes", {"processes": 2}, {}),
            (f"{args.target} × 3 processes", {"processes": 3}, {}),
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
            f"2 processes / 1 process ceiling: {gain}; 3 / 1: {gain3}",
            "on a 2-core machine that also runs the clients, the second process competes"
            " with the load generator for CPU",
        ],
    )


if __name__ == "__main__":
    main()
