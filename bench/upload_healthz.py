"""How long /healthz takes while the same server decodes a huge upload.

A real server process (`bench/serve.py`, eventlet or gevent) receives an 8000×8000 PNG
(64 megapixels, exactly at the pixel limit, so it is decoded in full) while another client
asks /healthz every 20 ms. It prints the health-check latency measured while the upload
was in flight; the target is under 100 ms. tests/realtime/test_upload_does_not_block.py
proves the same property without timing (health checks keep being answered meanwhile).

    python -m bench.upload_healthz
    python -m bench.upload_healthz --async-mode gevent --uploads 3
"""

from __future__ import annotations

import argparse
import io
import re
import threading
import time

from bench.harness import BENCH_PASSWORD, DEFAULT_PG, BenchEnv, latency_line, percentiles, report
from bench.server_process import Server
from bench.users import bulk_users


def _png_bomb(side: int) -> bytes:
    """A valid 1-bit PNG of side×side zeros: tiny on disk, 64 MP decoded at 8000."""
    from tests.web.posts_support import png_bomb

    return png_bomb(side, side)


def _login(base_url: str, username: str):
    """Return a requests session logged in as `username` and a CSRF token for uploads."""
    import requests

    http = requests.Session()
    page = http.get(base_url + "/auth/login", timeout=30).text
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    http.post(
        base_url + "/auth/login",
        data={"username": username, "password": BENCH_PASSWORD, "csrf_token": token},
        allow_redirects=False,
        timeout=30,
    )
    page = http.get(base_url + "/posts/new", timeout=30).text
    return http, re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)


def _one_upload(server: Server, http, token: str, picture: bytes) -> tuple[list[float], float]:
    """Upload once while polling /healthz; return health latencies (ms) during the upload
    and the upload's own duration (s)."""
    import requests

    done = threading.Event()
    timing: dict = {}

    def send() -> None:
        """Upload the picture and note when it started and finished."""
        timing["started"] = time.monotonic()
        response = http.post(
            server.url + "/posts/",
            data={"csrf_token": token, "body": "huge"},
            files={"photos": ("big.png", io.BytesIO(picture), "image/png")},
            allow_redirects=False,
            timeout=300,
        )
        timing["finished"] = time.monotonic()
        timing["status"] = response.status_code
        timing["body"] = response.text[:300] if response.status_code != 303 else ""
        done.set()

    samples: list[tuple[float, float]] = []
    thread = threading.Thread(target=send)
    thread.start()
    while not done.is_set():
        started = time.monotonic()
        requests.get(server.url + "/healthz", timeout=30)
        samples.append((started, (time.monotonic() - started) * 1000))
        time.sleep(0.02)
    thread.join()
    during = [ms for at, ms in samples if timing["started"] < at < timing["finished"]]
    print(f"  upload answered {timing['status']} in {timing['finished'] - timing['started']:.1f} s")
    if timing["body"]:
        print("  " + " ".join(timing["body"].split())[:300])
    return during, timing["finished"] - timing["started"]


def main() -> None:
    """Start a server, upload, measure, report."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--async-mode", default="eventlet", choices=["eventlet", "gevent"])
    parser.add_argument("--side", type=int, default=8000, help="edge of the square picture")
    parser.add_argument("--uploads", type=int, default=2)
    parser.add_argument("--database-url", default=DEFAULT_PG)
    parser.add_argument("--json-out")
    args = parser.parse_args()

    picture = _png_bomb(args.side)
    latencies: list[float] = []
    durations: list[float] = []
    with BenchEnv(args.database_url, None) as env:
        conn = env.db()
        ((_, username),) = bulk_users(conn, 1, "uploader")
        conn.close()
        server = Server(
            env,
            async_mode=args.async_mode,
            # Neither the upload rate limit nor shedding on a late event loop (a busy machine
            # trips it) may turn the upload away: the decode is what is measured.
            extra_env={
                "ENCORE_UPLOAD_RATE_LIMIT": "1000 per minute",
                "ENCORE_SHED_LAG_SECONDS": "0",
            },
        ).start()
        try:
            http, token = _login(server.url, username)
            for _ in range(args.uploads):
                during, seconds = _one_upload(server, http, token, picture)
                latencies += during
                durations.append(seconds)
        finally:
            server.stop()
    stats = percentiles(latencies)
    report(
        "upload_healthz",
        {
            "async_mode": args.async_mode,
            "side": args.side,
            "uploads": args.uploads,
            "upload_seconds": [round(s, 2) for s in durations],
            "healthz_ms_during_upload": stats,
            "target_ms": 100,
        },
        [
            latency_line(f"/healthz during a {args.side}² upload ({args.async_mode})", stats),
            "target: every health check under 100 ms while the picture is decoded",
        ],
        args.json_out,
    )


if __name__ == "__main__":
    main()
