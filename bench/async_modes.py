"""Async modes: the fan-out ramp under eventlet and under gevent, side by side in one run.

python -m bench.async_modes --clients 200 --target encore
python -m bench.async_modes --target bare
"""

from bench.compare import finish, parser_for, ratio, run_variants


def main(argv: list[str] | None = None) -> None:
    """Ramp fan-out under each async mode and compare the ceilings."""
    args = parser_for("python -m bench.async_modes", __doc__).parse_args(argv)
    results = run_variants(
        args,
        [
            (f"{args.target} eventlet", {"async_mode": "eventlet"}, {}),
            (f"{args.target} gevent", {"async_mode": "gevent"}, {}),
        ],
    )
    gevent_over_eventlet = ratio(results, f"{args.target} gevent", f"{args.target} eventlet")
    finish(
        "async_modes",
        args,
        results,
        {"gevent_over_eventlet": gevent_over_eventlet},
        [f"gevent / eventlet ceiling: {gevent_over_eventlet}"],
    )


if __name__ == "__main__":
    main()
