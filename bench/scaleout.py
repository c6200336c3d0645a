"""Scale-out: one, two and three web processes sharing the Redis queue, same clients and load.

By default (`--via nginx`) the processes stand behind nginx with ip_hash, as deployed
(bench/deploy_shape.py), and every client connects from its own loopback network, so
ip_hash spreads them; each variant reports how many sockets each process held. With
`--via direct` clients and posters are spread round-robin over the processes themselves,
so every group has members on each and each message crosses the queue. Encore runs with
the chat flood rule lifted, so the ramp climbs to each shape's ceiling.

`--cpu-quota C` caps every web process at C of a core, each in a cgroup of its own
(bench/cpu_quota.py; needs root), so 1, 2 and 3 processes get C, 2C and 3C cores and
the clients, PostgreSQL, Redis and nginx (never capped) keep the rest: on a small machine
the ceilings then measure the architecture, not processes competing for the last core.
Each step, and each variant as a whole, reports how often each process was throttled,
to show whether the cap was binding.

    python -m bench.scaleout --clients 200 --target encore
    python -m bench.scaleout --clients 200 --target encore --via direct
    python -m bench.scaleout --clients 200 --target encore --cpu-quota 0.35
"""

import os

from bench.compare import finish, parser_for, ratio, run_variants
from bench.cpu_quota import throttling_text, unavailable_reason
from bench.fanout import FLOOD_LIFTED
from bench.harness import not_available


def spread_lines(results: dict) -> list[str]:
    """Per variant, the sockets each web process held (behind nginx): ip_hash's spread."""
    lines = []
    for label, result in results.items():
        spread = result.get("sockets_per_process_at_start")
        if spread:
            lines.append(f"{label}: sockets per web process {list(spread.values())}")
    return lines


def quota_lines(results: dict) -> list[str]:
    """Per variant, the cap per process and how often each process hit it over the run."""
    lines = []
    for label, result in results.items():
        if result.get("cpu_quota_per_process"):
            lines.append(
                f"{label}: capped at {result['cpu_quota_per_process']:g} core per process,"
                " throttled over the whole run (start-up and logins included)"
                f" {throttling_text(result['cpu_throttling_at_end'])}"
            )
    return lines


def machine_note(quota: float | None) -> str:
    """What the machine's cores mean for the comparison, with or without a cap."""
    if not quota:
        return (
            "on a 2-core machine that also runs the clients, the second process competes"
            " with the load generator for CPU"
        )
    shares = ", ".join(f"{n * quota:g}" for n in (1, 2, 3))
    return (
        f"each web process capped at {quota:g} of a core (a cgroup CPU quota of its own):"
        f" 1, 2 and 3 processes get {shares} of this machine's {os.cpu_count()} cores, the"
        " rest left to the clients, PostgreSQL, Redis and nginx, so a process does not"
        " compete with the load generator for CPU"
    )


def main(argv: list[str] | None = None) -> None:
    """Ramp fan-out on one, two and three processes, and compare aggregate ceilings."""
    parser = parser_for("python -m bench.scaleout", __doc__, via="nginx")
    parser.add_argument(
        "--cpu-quota",
        type=float,
        metavar="CORES",
        help="cap each web process at this share of a core (e.g. 0.35), a cgroup each; needs root",
    )
    args = parser.parse_args(argv)
    if args.cpu_quota:
        reason = unavailable_reason(args.cpu_quota)
        if reason:
            # Never run uncapped when a cap was asked for: the numbers would mean otherwise.
            not_available("scaleout", reason, args.json_out, cpu_quota=args.cpu_quota)
            return
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
    quota = {"cpu_quota_per_process": args.cpu_quota} if args.cpu_quota else {}
    finish(
        "scaleout",
        args,
        results,
        {"two_over_one": gain, "three_over_one": gain3, **quota},
        [
            f"2 processes / 1 process ceiling: {gain}; 3 / 1: {gain3} (via {args.via})",
            *spread_lines(results),
            *quota_lines(results),
            machine_note(args.cpu_quota),
        ],
    )


if __name__ == "__main__":
    main()
