"""Rehearsal, database outage: a private PostgreSQL stops for 30 s mid-show behind nginx.

The deploy shape of bench/rehearsal.py (nginx from the Debian package with ip_hash in front
of three `python wsgi.py` processes, one Redis of its own), but on a PostgreSQL cluster the
scenario creates itself with initdb in a temporary folder, so stopping it disturbs nothing
else on the machine. Members keep loading pages and posting chat lines while it:

1. runs for `--before` seconds;
2. stops PostgreSQL the way a crash would (`pg_ctl stop -m immediate`) for `--outage` s;
3. starts it again and keeps going for `--after` seconds, with no web process restarted.

It reports every answer by phase (a 500 would be a bug; the outage should give 503 with
Retry-After, or 429), how long after the restart the first page came back, and what
/healthz said while the database was away.

    python -m bench.rehearsal_db --outage 30

Benchmarks report; they never assert. Needs nginx, redis-server and PostgreSQL's initdb.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import shutil
import time
import uuid
from collections import Counter

from bench.deploy_shape import DeployShape, Nginx, client_address, nginx_available
from bench.harness import common_arguments, not_available, report
from bench.rehearsal import Member


async def _traffic(member: Member, room_id: int, log: list, stop: asyncio.Event) -> None:
    """Load the room and post a line every half second until told to stop."""
    n = 0
    while not stop.is_set():
        for kind in ("page", "post"):
            started = time.monotonic()
            try:
                if kind == "page":
                    url = f"{member.http.base_url}/rooms/{room_id}"
                    async with member.http.session.get(url) as response:
                        await response.read()
                        status, retry = response.status, response.headers.get("Retry-After")
                else:
                    status, _body, headers = await member.http.post(
                        f"/rooms/{room_id}/messages",
                        {
                            "body": f"db-rehearsal-{member.username}-{n}",
                            "client_id": uuid.uuid4().hex,
                        },
                    )
                    retry = headers.get("Retry-After")
            except Exception as error:  # a refused or cut connection is an answer too
                status, retry = type(error).__name__, None
            log.append((started, kind, status, retry))
        n += 1
        await asyncio.sleep(0.5)


async def _health(member: Member, nginx: Nginx) -> dict:
    """What /healthz answers to a logged-in member (JSON, or the error page's status)."""
    async with member.http.session.get(nginx.url + "/healthz") as response:
        if response.content_type == "application/json":
            return {"status": response.status, **(await response.json())}
        return {"status": response.status, "content_type": response.content_type}


async def _sign_up(member: Member) -> None:
    """Sign up, waiting out a 429 (a busy machine sheds load) a few times."""
    for _attempt in range(10):
        try:
            await member.sign_up()
            return
        except RuntimeError as error:
            if "answered 429" not in str(error):
                raise
            await asyncio.sleep(3)
    await member.sign_up()


async def scenario(args, nginx: Nginx, database) -> dict:
    """Sign members up, open a room, then run traffic through the outage."""
    members = [
        Member(nginx.url, client_address(n), f"dbrehearsal{n}_{uuid.uuid4().hex[:4]}")
        for n in range(args.users)
    ]
    try:
        for member in members:
            await _sign_up(member)
        host = members[0]
        status, body, headers = await host.http.post(
            "/rooms/",
            {
                "title": "Outage night",
                "category": "karaoke",
                "mode": "casual",
                "capacity": str(args.users),
            },
            htmx=False,
        )
        match = re.search(r"/rooms/(\d+)", headers.get("Location", ""))
        if status != 303 or not match:
            return {"error": f"opening the room answered {status}: {body[:300]}"}
        room_id = int(match.group(1))
        for member in members[1:]:
            await member.http.post(f"/rooms/{room_id}/join", {}, htmx=False)
        log: list = []
        stop = asyncio.Event()
        tasks = [asyncio.ensure_future(_traffic(m, room_id, log, stop)) for m in members]
        await asyncio.sleep(args.before)
        down_at = time.monotonic()
        await asyncio.get_running_loop().run_in_executor(None, database.stop)
        await asyncio.sleep(min(3.0, args.outage))
        health_down = await _health(host, nginx)
        await asyncio.sleep(max(0.0, args.outage - 3.0))
        await asyncio.get_running_loop().run_in_executor(None, database.start)
        up_at = time.monotonic()
        await asyncio.sleep(args.after)
        stop.set()
        await asyncio.gather(*tasks)
        health_after = await _health(host, nginx)
    finally:
        for member in members:
            await member.close()
    phases = {"before": Counter(), "outage": Counter(), "after": Counter()}
    retry_missing = 0
    first_ok_after = None
    for started, kind, status, retry in log:
        phase = "before" if started < down_at else ("outage" if started < up_at else "after")
        phases[phase][f"{kind} {status}"] += 1
        if status == 503 and not retry:
            retry_missing += 1
        if phase == "after" and kind == "page" and status == 200 and first_ok_after is None:
            first_ok_after = round(started - up_at, 2)
    return {
        "users": args.users,
        "outage_seconds": round(up_at - down_at, 1),
        "answers": {phase: dict(counts) for phase, counts in phases.items()},
        "answers_500": sum(v for c in phases.values() for k, v in c.items() if k.endswith(" 500")),
        "answers_503_without_retry_after": retry_missing,
        "first_page_after_restart_s": first_ok_after,
        "healthz_during_outage": health_down,
        "healthz_after": health_after,
    }


def summary(result: dict) -> list[str]:
    """Readable lines for the report."""
    if "error" in result:
        return [f"rehearsal failed: {result['error']}"]
    lines = [f"PostgreSQL stopped for {result['outage_seconds']} s under {result['users']} members"]
    for phase, counts in result["answers"].items():
        lines.append(f"  {phase}: {counts}")
    lines += [
        f"500s: {result['answers_500']}; 503s without Retry-After: "
        f"{result['answers_503_without_retry_after']}",
        f"first room page after the restart: {result['first_page_after_restart_s']} s",
        f"/healthz while down: {result['healthz_during_outage']}",
        f"/healthz after: {result['healthz_after']}",
    ]
    return lines


def main(argv: list[str] | None = None) -> None:
    """Start the private PostgreSQL, Redis, three web processes and nginx; rehearse; report."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.rehearsal_db",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    common_arguments(parser)
    parser.add_argument("--users", type=int, default=6, help="members (default 6)")
    parser.add_argument("--before", type=float, default=10.0, help="seconds before the stop")
    parser.add_argument("--outage", type=float, default=30.0, help="seconds stopped (30)")
    parser.add_argument("--after", type=float, default=20.0, help="seconds after the restart")
    args = parser.parse_args(argv)
    if not nginx_available():
        not_available("rehearsal_db", "nginx is not installed", args.json_out)
        return
    from tests.support.private_postgres import _binaries

    if _binaries() is None or not shutil.which("redis-server"):
        not_available("rehearsal_db", "needs initdb and redis-server", args.json_out)
        return
    # The scenario's own PostgreSQL, so stopping it disturbs nothing else; no Celery, whose
    # retries would only add noise to the answers counted here.
    with DeployShape(private_postgres=True, celery=False, async_mode=args.async_mode) as shape:
        result = asyncio.run(scenario(args, shape.nginx, shape.database))
        result["web_processes_alive_after"] = sum(1 for w in shape.webs if w.process.poll() is None)
    report("rehearsal_db", result, summary(result), args.json_out)


if __name__ == "__main__":
    main()
