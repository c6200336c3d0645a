"""Run Encore exactly as `python wsgi.py` does, plus the benchmark's GC variant and pause log.

Usage (the harness does this): `python bench/serve.py` from the repository root, with the
same environment wsgi.py reads, and BENCH_GC / BENCH_GC_LOG (see bench/gc_tune.py).
BENCH_PROFILE=<file> also runs the server under cProfile and keeps the stats in <file>
(rewritten every two seconds); read them with `python -m pstats <file>`.
BENCH_EVENTLET_MAX_SIZE=<n> serves with eventlet's connection cap raised from its default
of 1,024 simultaneous connections (websockets and keep-alive HTTP together) to <n>.
"""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)  # the repository root, not bench/, so nothing here shadows a module

import wsgi  # noqa: E402  (patches for the async mode, then builds the app)
from bench import gc_tune  # noqa: E402


def _serve_profiled(path: str) -> None:
    """Serve under cProfile, writing the stats to `path` every two seconds.

    A green server cannot be relied on to unwind on SIGTERM, so the file is kept current.
    """
    import cProfile
    import threading  # patched: a green thread in the server's own OS thread
    import time

    profiler = cProfile.Profile()

    def dump() -> None:
        while True:
            time.sleep(2)
            profiler.disable()
            profiler.dump_stats(path)
            profiler.enable()

    threading.Thread(target=dump, daemon=True).start()
    profiler.enable()
    wsgi.main()


def _serve_with_max_size(max_size: int) -> None:
    """Serve as wsgi.main() does, but let eventlet hold `max_size` connections, not 1,024."""
    from app.extensions import socketio
    from app.http_server import server_options

    socketio.run(
        wsgi.app,
        host=os.environ.get("HOST", "127.0.0.1"),
        port=int(os.environ.get("PORT", "5000")),
        log_output=False,
        **(server_options(wsgi.ASYNC_MODE) | {"max_size": max_size}),
    )


if __name__ == "__main__":
    gc_tune.apply_from_env()
    if os.environ.get("BENCH_PROFILE"):
        _serve_profiled(os.environ["BENCH_PROFILE"])
    elif os.environ.get("BENCH_EVENTLET_MAX_SIZE") and wsgi.ASYNC_MODE == "eventlet":
        _serve_with_max_size(int(os.environ["BENCH_EVENTLET_MAX_SIZE"]))
    else:
        wsgi.main()
