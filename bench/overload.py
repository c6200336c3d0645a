"""Overload: push fan-out past its ceiling and report what happens to accepted messages.

The rates keep going up after a step fails. Each step reports latency, posts shed with
429, other errors, and accepted messages that were lost or delivered twice; the target is
that no accepted message is ever lost. Big groups (50 members) make each post fan out
widely, and the server runs with the chat flood limit lifted (ENCORE_CHAT_FLOOD_LINES), so a
429 here means the server shed load, not that one user typed too fast. Each step also says
how long the shed posts waited for their 429 (the target: within 1 s).

    python -m bench.overload --clients 200 --group-size 50 --rates 10,20,40,80,160
"""

from bench.compare import parser_for, run_variants
from bench.fanout import FLOOD_LIFTED
from bench.harness import not_available, report


def main(argv: list[str] | None = None) -> None:
    """Run the overload rates and report loss of accepted messages per step."""
    parser = parser_for(
        "python -m bench.overload", __doc__, clients=200, group_size=50, rates="10,20,40,80"
    )
    args = parser.parse_args(argv)
    args.past_ceiling = True
    label = f"{args.target} {args.async_mode}"
    # Past the ceiling every user posts faster than the flood rule allows; lift it, so each
    # 429 is the server shedding load.
    result = run_variants(args, [(label, {}, FLOOD_LIFTED)])[label]
    if result.get("status") != "ok":
        not_available("overload", result.get("reason", ""), args.json_out)
        return
    lines = []
    lost_total = 0
    for step in result["steps"]:
        lost_total += step["lost"]
        lines.append(
            f"{step['rate_target']:g} posts/s: {step['accepted']}/{step['posts']} accepted,"
            f" 429 {step['rejected_429']}, errors {step['errors']}, lost {step['lost']},"
            f" duplicated {step['duplicated']}, p99 {step['latency_ms']['p99']} ms,"
            f" 429 answered in p99 {step['shed_http_ms'].get('p99')} ms,"
            f" {step['deliveries_per_s']} deliveries/s"
        )
    verdict = "met" if lost_total == 0 else "MISSED"
    lines.append(f"zero loss of accepted messages: {verdict} ({lost_total} lost)")
    report(
        "overload",
        {"status": "ok", "result": result, "lost_accepted": lost_total, "verdict": verdict},
        lines,
        args.json_out,
    )


if __name__ == "__main__":
    main()
