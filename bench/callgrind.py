"""Instructions, not milliseconds: count a piece of work under valgrind's callgrind.

An instruction count does not depend on what else the machine runs, so two builds can be
compared on a busy machine where process CPU moves by a third between runs. A benchmark
runs itself again as a child under callgrind with counting off (`--instr-atstart=no`); the
child switches counting on only around the work it measures (`measured`), and the parent
reads one total per measured stretch (`count`).

Switching costs instructions of its own (a `callgrind_control` call from inside the
counted stretch), so the child first measures an empty stretch (`baseline`) and `count`
subtracts it from every other one.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

MARK = "@@ "  # a child's stdout line that names the stretch just dumped


def add_arguments(parser: argparse.ArgumentParser, per: str) -> None:
    """Add `--instructions` (count under callgrind), and the hidden flag of its child run.

    `per` names the unit counted ("post", "request").
    """
    parser.add_argument(
        "--instructions",
        action="store_true",
        help=f"millions of instructions per {per} under callgrind (load-insensitive)",
    )
    parser.add_argument("--callgrind-child", action="store_true", help=argparse.SUPPRESS)


def available() -> bool:
    """Tell whether valgrind and callgrind_control are installed."""
    return bool(shutil.which("valgrind") and shutil.which("callgrind_control"))


def _control(*command: str) -> None:
    """Send a callgrind_control command to this process (it runs under callgrind)."""
    subprocess.run(["callgrind_control", *command, str(os.getpid())], capture_output=True)


def baseline() -> None:
    """In the child, before any `measured`: an empty stretch, the switching's own cost."""
    _control("-i", "on")
    _control("-i", "off")
    _control("-d")


@contextmanager
def measured(name: str) -> Iterator[None]:
    """In the child: count the instructions of the block as one stretch called `name`."""
    _control("-i", "on")
    try:
        yield
    finally:
        _control("-i", "off")
        _control("-d")
        print(f"{MARK}{name}", flush=True)


def count(module_args: list[str]) -> dict[str, int]:
    """Run `python -m <module_args>` under callgrind; return instructions per named stretch.

    The child must call `baseline()` once, then wrap each stretch in `measured(name)`.
    """
    folder = tempfile.mkdtemp(prefix="callgrind-")
    try:
        out = os.path.join(folder, "callgrind.out")
        command = ["valgrind", "--tool=callgrind", "--instr-atstart=no"]
        command += [f"--callgrind-out-file={out}", sys.executable, "-m", *module_args]
        child = subprocess.run(command, check=True, capture_output=True, text=True)
        names = [line[len(MARK) :] for line in child.stdout.splitlines() if line.startswith(MARK)]
        dumps = sorted(
            (f for f in os.listdir(folder) if f.startswith("callgrind.out.")),
            key=lambda f: int(f.rsplit(".", 1)[1].split("-")[0]),
        )
        totals = [_total(os.path.join(folder, name)) for name in dumps]
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    overhead, totals = totals[0], totals[1:]
    return {name: total - overhead for name, total in zip(names, totals, strict=True)}


def _total(path: str) -> int:
    """The `totals:` line of one callgrind dump."""
    with open(path) as handle:
        return next(int(line.split()[1]) for line in handle if line.startswith("totals:"))
