"""Rehearsal, worker kill: `kill -9` the Celery worker mid leaderboard refresh.

On a seeded throwaway database and a Redis of its own, a real `celery -A worker worker`
refreshes the boards once; then a second refresh starts and the worker is killed with
SIGKILL while it holds the refresh lock. A new worker is started and the refresh is sent
again every two seconds until one completes. All the while a reader checks, in one
MULTI/EXEC, that the all-time board holds exactly as many members as the snapshot's
metadata says (a half-written board would not).

    python -m bench.rehearsal_worker --users 20000 --performances 200000

Reports how long after the kill the next refresh completed, how many sends were skipped
while the dead worker's lock lapsed, and how many reads saw an inconsistent board.
Benchmarks report; they never assert.
"""

from __future__ import annotations

import argparse
import signal
import threading
import time

from bench.deploy_shape import DeployShape
from bench.harness import BenchEnv, common_arguments, not_available, report

TASK = "app.tasks.leaderboard.refresh_leaderboards"


def _celery(env: BenchEnv):
    """A Celery client that sends to the rehearsal's queue."""
    from celery import Celery

    from app.config import celery_settings

    client = Celery("rehearsal")
    client.conf.update(celery_settings(env.redis_url, env.prefix))
    return client


def _reader(env: BenchEnv, stop: threading.Event, tally: dict) -> None:
    """Read the all-time board's size and the metadata atomically until told to stop."""
    import redis

    client = redis.Redis.from_url(env.redis_url, decode_responses=True)
    board, meta = f"{env.prefix}lb:cur:all", f"{env.prefix}lb:meta"
    while not stop.is_set():
        with client.pipeline(transaction=True) as pipe:
            size, members, at = pipe.zcard(board).hget(meta, "members").hget(meta, "at").execute()
        tally["reads"] += 1
        tally["boards_seen"].add(at)
        if members is not None and int(members) != size:
            tally["inconsistent"] += 1
        time.sleep(0.05)


def _wait_lock(env: BenchEnv, timeout: float) -> bool:
    import redis

    client = redis.Redis.from_url(env.redis_url)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if client.exists(f"{env.prefix}lb:lock"):
            return True
        time.sleep(0.02)
    return False


def rehearse(args, shape: DeployShape) -> dict:
    """Seed, refresh, kill mid-refresh, recover; return the measurements."""
    from bench.seed import seed

    env = shape.env

    rooms = max(1, args.performances // 50)
    seeded = seed(env.database_url, users=args.users, rooms=rooms, performances=args.performances)
    celery = _celery(env)
    worker = shape.start_celery("worker", "worker1.log")
    try:
        first = celery.send_task(TASK, ignore_result=False).get(timeout=900)
        tally = {"reads": 0, "inconsistent": 0, "boards_seen": set()}
        stop = threading.Event()
        reader = threading.Thread(target=_reader, args=(env, stop, tally), daemon=True)
        reader.start()
        celery.send_task(TASK)
        if not _wait_lock(env, 120):
            return {"error": "the second refresh never took the lock", "first": first}
        time.sleep(args.kill_after)
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
        killed_at = time.monotonic()
        # Still locked after the kill: the worker died mid-refresh, not after it.
        mid_refresh = _wait_lock(env, 0.1)
    finally:
        if worker.poll() is None:
            worker.kill()
    worker = shape.start_celery("worker", "worker2.log")
    skipped = 0
    try:
        while True:
            result = celery.send_task(TASK, ignore_result=False).get(timeout=900)
            if result["status"] == "refreshed":
                break
            skipped += 1
            time.sleep(2)
        recovered_s = time.monotonic() - killed_at
    finally:
        stop.set()
        reader.join(timeout=5)
        worker.terminate()
        worker.wait(timeout=30)
    return {
        "seeded": seeded["rows"],
        "first_refresh": first,
        "killed_after_lock_s": args.kill_after,
        "killed_mid_refresh": mid_refresh,
        "next_refresh_completed_after_kill_s": round(recovered_s, 1),
        "sends_skipped_while_the_lock_lapsed": skipped,
        "recovering_refresh": result,
        "reads": tally["reads"],
        "inconsistent_reads": tally["inconsistent"],
        "distinct_boards_seen": len(tally["boards_seen"]),
    }


def summary(result: dict) -> list[str]:
    """Readable lines."""
    if "error" in result:
        return [f"rehearsal failed: {result['error']}"]
    return [
        f"first refresh: {result['first_refresh']['seconds']} s for "
        f"{result['first_refresh']['members']} members",
        f"worker killed {result['killed_after_lock_s']} s into the second refresh (mid-refresh: "
        f"{result['killed_mid_refresh']}); the next "
        f"refresh completed {result['next_refresh_completed_after_kill_s']} s after the kill "
        f"({result['sends_skipped_while_the_lock_lapsed']} sends skipped while the lock lapsed)",
        f"{result['reads']} atomic reads, {result['inconsistent_reads']} inconsistent, "
        f"{result['distinct_boards_seen']} distinct boards seen",
    ]


def main(argv: list[str] | None = None) -> None:
    """Parse arguments, rehearse and report."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.rehearsal_worker",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    common_arguments(parser)
    parser.add_argument("--users", type=int, default=20000)
    parser.add_argument("--performances", type=int, default=200000)
    parser.add_argument("--kill-after", type=float, default=0.2, help="seconds after the lock")
    args = parser.parse_args(argv)
    import shutil

    if not shutil.which("redis-server"):
        not_available("rehearsal_worker", "redis-server is not installed", args.json_out)
        return
    # No web process and no beat: the refresh is sent by hand, and a beat's own sends
    # would blur which refresh the kill interrupted.
    with DeployShape(web=0, celery=False, database_url=args.database_url) as shape:
        result = rehearse(args, shape)
    report("rehearsal_worker", result, summary(result), args.json_out)


if __name__ == "__main__":
    main()
