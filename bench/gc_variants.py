"""GC variants: the fan-out ramp with the collector untouched, frozen after start-up, tuned.

`freeze` runs gc.collect(); gc.freeze() once the app is built, so the start-up objects
leave the generations that full collections walk; `tuned` raises the thresholds to
(50000, 20, 100). Each step reports how many full collections ran and the longest.

    python -m bench.gc_variants --target encore --clients 200
"""

from bench.compare import finish, parser_for, ratio, run_variants

VARIANTS = ("default", "freeze", "tuned", "freeze+tuned")


def main(argv: list[str] | None = None) -> None:
    """Ramp fan-out once per GC variant and compare."""
    parser = parser_for("python -m bench.gc_variants", __doc__)
    parser.add_argument("--variants", default=",".join(VARIANTS), help="comma-separated")
    args = parser.parse_args(argv)
    chosen = [v for v in args.variants.split(",") if v in VARIANTS]
    results = run_variants(args, [(f"gc {v}", {"gc": v}, {}) for v in chosen])
    ratios = {f"gc {v}": ratio(results, f"gc {v}", "gc default") for v in chosen}
    finish(
        "gc_variants",
        args,
        results,
        {"ceiling_over_default": ratios},
        [f"ceiling relative to default: {ratios}"],
    )


if __name__ == "__main__":
    main()
