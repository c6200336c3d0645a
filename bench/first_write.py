"""What opening a transaction only at the first write saves a page: both ways in one process.

On PostgreSQL a page's reads run without a transaction (app/first_write.py,
`FirstWriteCursor`), which spares psycopg2's BEGIN before the first statement and the
pool's ROLLBACK after the last: two round trips. This bench builds the production app on
a `bench.seed` dataset (as `bench.page_cost` does), signs one member of room 1 in, and
requests each page in alternating blocks with `FirstWriteCursor` on and off (the pool
emptied between blocks, so no connection keeps the other mode), so both modes meet the
same machine at the same moments. It reports, per page and mode, the median and p95 wall
time of a request and the process CPU per request, and the ratios on / off.

    python -m bench.seed --create encore_big --users 100000 --rooms 10000 --performances 1000000
    python -m bench.first_write --dataset-url postgresql://postgres@127.0.0.1:5432/encore_big
"""

from __future__ import annotations

import statistics
import time

from bench.harness import report
from bench.page_cost import PAGES, build_app, dataset_parser, forget_redis_keys, sign_in

MODES = ("first write", "every request")


def set_mode(app, first_write: bool) -> None:
    """Give new connections `FirstWriteCursor`s or psycopg2's own, and start them afresh."""
    from sqlalchemy import event

    from app.extensions import db
    from app.first_write import use_first_write_cursors

    with app.app_context():
        engine = db.engine
        listening = event.contains(engine, "connect", use_first_write_cursors)
        if first_write and not listening:
            event.listen(engine, "connect", use_first_write_cursors)
        elif not first_write and listening:
            event.remove(engine, "connect", use_first_write_cursors)
        engine.dispose()  # a pooled connection may still be in the other mode


def block(client, path: str, htmx: bool, requests: int) -> tuple[list[float], float]:
    """Request `path` after a warm-up; return each request's wall ms and the block's CPU s."""
    headers = {"HX-Request": "true"} if htmx else {}
    for _ in range(5):  # reconnect and prepare again after the pool was emptied
        client.get(path, headers=headers)
    walls = []
    cpu = time.process_time()
    for _ in range(requests):
        started = time.perf_counter()
        answer = client.get(path, headers=headers)
        walls.append((time.perf_counter() - started) * 1000)
        assert answer.status_code == 200, (path, answer.status_code)
    return walls, time.process_time() - cpu


def compare(client, host: str, args) -> dict:
    """Alternate the two modes block by block on each page; summarise both."""
    results = {}
    for name, template, htmx in PAGES:
        if args.pages and name not in args.pages:
            continue
        path = template.format(room=1, username=host)
        walls: dict[str, list[float]] = {mode: [] for mode in MODES}
        cpu = dict.fromkeys(MODES, 0.0)
        for _ in range(args.blocks):
            for mode in MODES:
                set_mode(client.application, mode == MODES[0])
                times, spent = block(client, path, htmx, args.requests)
                walls[mode] += times
                cpu[mode] += spent
        row = {}
        for mode in MODES:
            ordered = sorted(walls[mode])
            row[mode] = {
                "p50_ms": round(statistics.median(ordered), 3),
                "p95_ms": round(ordered[int(len(ordered) * 0.95) - 1], 3),
                "cpu_ms": round(cpu[mode] * 1000 / len(ordered), 3),
            }
        on, off = row[MODES[0]], row[MODES[1]]
        row["p50_ratio"] = round(on["p50_ms"] / off["p50_ms"], 3)
        row["cpu_ratio"] = round(on["cpu_ms"] / off["cpu_ms"], 3)
        results[name] = row
    set_mode(client.application, True)
    return results


def main() -> None:
    """Parse options, run, report."""
    parser = dataset_parser(__doc__.split("\n\n")[0], 50, "block")
    parser.add_argument("--blocks", type=int, default=6, help="blocks per mode and page")
    parser.add_argument("--json-out", help="also write the JSON result to this file")
    args = parser.parse_args()
    app = build_app(args.dataset_url, args.redis_url)
    try:
        with app.app_context():
            from app.services import leaderboard

            leaderboard.refresh()  # the page reads the snapshot, as in production
        client, host = sign_in(app)
        results = compare(client, host, args)
    finally:
        forget_redis_keys(app)
    lines = [
        f"{name:15} p50 {row[MODES[0]]['p50_ms']:6.2f} / {row[MODES[1]]['p50_ms']:6.2f} ms"
        f" ({row['p50_ratio']:.2f} ×), p95 {row[MODES[0]]['p95_ms']:6.2f} /"
        f" {row[MODES[1]]['p95_ms']:6.2f} ms, CPU {row[MODES[0]]['cpu_ms']:5.2f} /"
        f" {row[MODES[1]]['cpu_ms']:5.2f} ms ({row['cpu_ratio']:.2f} ×)"
        for name, row in results.items()
    ]
    lines.insert(0, f"page: {MODES[0]} / {MODES[1]} (a transaction opened at …)")
    report("first_write", {"pages": results}, lines, args.json_out)


if __name__ == "__main__":
    main()
