"""Every benchmark scenario still starts: `python -m bench.<scenario> --help` exits 0.

Benchmarks measure and never assert; this only notices when one of them breaks.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# A scenario is a module that runs as a program; the rest (harness, seeding, clients) are
# libraries the scenarios import.
SCENARIOS = sorted(
    path.stem
    for path in (ROOT / "bench").glob("*.py")
    if path.stem not in {"gc_tune", "serve", "bare_server"}
    and 'if __name__ == "__main__":' in path.read_text()
)


def test_the_scenarios_are_found() -> None:
    assert {"fanout", "pages", "join_race", "run_all", "seed"} <= set(SCENARIOS)


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_scenario_help_exits_cleanly(scenario: str) -> None:
    finished = subprocess.run(
        [sys.executable, "-m", f"bench.{scenario}", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr[-2000:]
    assert "usage:" in finished.stdout
