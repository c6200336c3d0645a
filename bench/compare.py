"""Run the fan-out scenario under several variants, one after another, and compare ceilings.

The async-mode, scale-out, bare-vs-Encore and GC scenarios are all this, with different
variants; each variant starts its own servers and clients from scratch.
"""

from __future__ import annotations

import argparse
import copy

from bench import fanout
from bench.harness import fmt, not_available, report


def run_variants(args, variants: list[tuple[str, dict, dict]], during_step=None) -> dict:
    """Run fan-out once per (label, argument overrides, server env); return all results.

    `during_step` is handed to every run (see `fanout.run_fanout`).
    """
    results = {}
    for label, overrides, server_env in variants:
        variant_args = copy.copy(args)
        for key, value in overrides.items():
            setattr(variant_args, key, value)
        print(f"--- {label}", flush=True)
        results[label] = fanout.run_fanout(
            variant_args, server_env=server_env, during_step=during_step
        )
    return results


def ceiling_lines(results: dict) -> list[str]:
    """One line per variant: its ceiling and the step where it failed."""
    lines = []
    for label, result in results.items():
        if result.get("status") != "ok":
            lines.append(f"{label}: {result.get('status')} ({result.get('reason')})")
            continue
        steps = result["steps"]
        last = steps[-1] if steps else None
        detail = ""
        if last is not None and not last["holds"]:
            detail = (
                f"; failed at {last['rate_target']:g} posts/s: p99 "
                f"{fmt(last['latency_ms']['p99'])} ms, lost {last['lost']}, "
                f"429 {last['rejected_429']}, errors {last['errors']}"
            )
        elif result.get("ramp_capped_by_flood_limit_at"):
            detail = (
                f"; not reached: ramp capped at {result['ramp_capped_by_flood_limit_at']:g}"
                " posts/s by the chat flood limit (add clients)"
            )
        elif steps:
            detail = "; not reached (every step held)"
        best = max(
            (s for s in steps if s["holds"]), key=lambda s: s["deliveries_per_s"], default=None
        )
        extra = ""
        if best is not None:
            extra = (
                f" (p99 {fmt(best['latency_ms']['p99'])} ms, server "
                f"{best['server_cpu_cores']} cores, peak RSS {best['server_peak_rss_mib']} MiB,"
                f" gen2 max {best['gc']['full_ms_max']:.0f} ms)"
            )
        lines.append(
            f"{label}: ceiling {fmt(result['ceiling_deliveries_per_s'])} deliveries/s"
            + extra
            + detail
        )
    return lines


def ratio(results: dict, numerator: str, denominator: str) -> float | None:
    """Ceiling of `numerator` over ceiling of `denominator`, when both were measured."""
    a = results.get(numerator, {}).get("ceiling_deliveries_per_s")
    b = results.get(denominator, {}).get("ceiling_deliveries_per_s")
    return round(a / b, 2) if a and b else None


def parser_for(prog: str, doc: str, **defaults) -> argparse.ArgumentParser:
    """A fan-out parser whose defaults suit a comparison (a ramp, short steps)."""
    parser = argparse.ArgumentParser(
        prog=prog, description=doc, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    fanout.add_arguments(parser)
    parser.set_defaults(ramp=True, **defaults)
    parser.add_argument("--no-ramp", dest="ramp", action="store_false", help="one rate only")
    return parser


def finish(name: str, args, results: dict, extra: dict | None = None, notes=()) -> None:
    """Report a comparison, or say it could not run on this build at all."""
    if all(r.get("status") != "ok" for r in results.values()):
        reasons = "; ".join(f"{k}: {r.get('reason')}" for k, r in results.items())
        not_available(name, reasons, args.json_out, variants=results)
        return
    body = {"status": "ok", "variants": results, **(extra or {})}
    report(name, body, ceiling_lines(results) + list(notes), args.json_out)
