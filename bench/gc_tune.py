"""Garbage-collector variants and a pause log for benchmark server processes.

BENCH_GC selects the variant, applied after start-up (the app and its imports exist):
  default   leave the collector alone
  freeze    gc.collect(); gc.freeze() — start-up objects leave the tracked generations
  tuned     gc.set_threshold(50_000, 20, 100) — far fewer young and full collections
  freeze+tuned  both
BENCH_GC_LOG names a file that receives one line per collection that took at least 2 ms,
or any full (gen2) collection: "<generation> <wall ms> <CPU ms>". The CPU time shows the
pause itself when other work on the machine stretches the wall time.
"""

from __future__ import annotations

import gc
import os
import time

TUNED_THRESHOLDS = (50_000, 20, 100)
_MIN_LOGGED_MS = 2.0


def apply_from_env() -> str:
    """Apply the BENCH_GC variant and start the pause log; return the variant's name."""
    variant = os.environ.get("BENCH_GC", "default")
    if "freeze" in variant:
        gc.collect()
        gc.freeze()
    if "tuned" in variant:
        gc.set_threshold(*TUNED_THRESHOLDS)
    path = os.environ.get("BENCH_GC_LOG")
    if path:
        _log_pauses(path)
    return variant


def _log_pauses(path: str) -> None:
    """Append slow or full collections to `path` as they finish."""
    log = open(path, "a", buffering=1)  # noqa: SIM115  (lives as long as the process)
    started: list[float] = [0.0, 0.0]

    def callback(phase: str, info: dict) -> None:
        if phase == "start":
            started[0], started[1] = time.perf_counter(), time.process_time()
            return
        elapsed_ms = (time.perf_counter() - started[0]) * 1000
        cpu_ms = (time.process_time() - started[1]) * 1000
        generation = info.get("generation", -1)
        if generation == 2 or elapsed_ms >= _MIN_LOGGED_MS:
            log.write(f"{generation} {elapsed_ms:.2f} {cpu_ms:.2f}\n")

    gc.callbacks.append(callback)


def read_pause_log(path: str, skip_lines: int = 0) -> dict:
    """Summarise a pause log after its first `skip_lines` lines: counts and worst pauses."""
    summary: dict = {"full_collections": 0, "full_ms_max": 0.0, "full_ms_total": 0.0}
    summary["full_cpu_ms_max"] = 0.0
    summary["young_cpu_ms_max"] = 0.0
    summary.update({"slow_young_collections": 0, "young_ms_max": 0.0})
    try:
        with open(path) as handle:
            lines = handle.read().split("\n")
    except OSError:
        return summary
    lines = [line for line in lines if line.strip()]
    summary["lines"] = len(lines)
    for line in lines[skip_lines:]:
        if not line.strip():
            continue
        generation, ms, *rest = line.split()
        value = float(ms)
        if generation == "2":
            summary["full_collections"] += 1
            if rest:
                summary["full_cpu_ms_max"] = max(summary["full_cpu_ms_max"], float(rest[0]))
            summary["full_ms_max"] = max(summary["full_ms_max"], value)
            summary["full_ms_total"] += value
        else:
            summary["slow_young_collections"] += 1
            summary["young_ms_max"] = max(summary["young_ms_max"], value)
            if rest:
                summary["young_cpu_ms_max"] = max(summary["young_cpu_ms_max"], float(rest[0]))
    summary["full_ms_total"] = round(summary["full_ms_total"], 1)
    return summary
