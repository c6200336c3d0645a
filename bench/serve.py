"""Run Encore exactly as `python wsgi.py` does, plus the benchmark's GC variant and pause log.

Usage (the harness does this): `python bench/serve.py` from the repository root, with the
same environment wsgi.py reads, and BENCH_GC / BENCH_GC_LOG (see bench/gc_tune.py).
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)  # the repository root, not bench/, so nothing here shadows a module

import wsgi  # noqa: E402  (patches for the async mode, then builds the app)
from bench import gc_tune  # noqa: E402

if __name__ == "__main__":
    gc_tune.apply_from_env()
    wsgi.main()
