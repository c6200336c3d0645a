"""Where a server's CPU goes in a fan-out step: on-CPU samples, split by phase and kernel.

`fanout --profile` runs the server under cProfile, which times Python calls by the wall
clock: a green thread parked on a socket looks as busy as one working, and C code and
system calls hide inside the Python call that made them. This diagnostic samples the
server process from outside with py-spy (`--native`: Python, C and the libc call a stack
ends in; only threads on a CPU are sampled), in the middle of one fan-out step, and splits
the CPU a post that the step measured by where the samples fell:

- the phase: HTTP requests through Flask (the post), the sockets (Engine.IO's readers and
  writers: the deliveries), the Socket.IO queue listener, the WSGI server's own request
  parsing and writing, the event loop (its wait for events and its bookkeeping);
- in the process, or in a system call (a stack whose last frame is a libc system call).

It runs the bare server and Encore (`--targets`) in the same async mode, one after the
other, like `bare_vs_encore`, and prints both splits side by side. Not in `run_all`.

    pip install py-spy     # a tool this diagnostic drives, not a dependency of Encore
    python -m bench.cpu_samples --clients 200 --rate 80 --duration 40 --async-mode gevent

py-spy attaches with ptrace, so it needs root or `kernel.yama.ptrace_scope = 0`. The raw
samples stay in `--out` for other cuts (flamegraph.pl reads them as they are).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
from collections import Counter
from pathlib import Path

from bench import fanout
from bench.compare import run_variants
from bench.fanout import FLOOD_LIFTED
from bench.harness import not_available, report

# The phases, checked in this order: a post's stack also holds the WSGI server's frames.
PHASES = (
    ("HTTP requests (Flask)", ("Flask.wsgi_app (",)),
    ("sockets (Engine.IO)", ("engineio/", "geventwebsocket/", "eventlet/websocket.py")),
    ("queue listener", ("socketio/pubsub_manager.py",)),
    ("WSGI server", ("gevent/pywsgi.py", "eventlet/wsgi.py")),
    ("event loop", ("gevent/hub.py", "eventlet/hubs/")),
)
OTHER = "other"
# libc wrappers that enter the kernel; a stack that ends in one is time in a system call.
SYSTEM_CALLS = frozenset(
    {
        *("accept", "accept4", "close", "connect", "fcntl", "futex", "getpid", "ioctl"),
        *("epoll_ctl", "epoll_pwait", "epoll_wait", "poll", "ppoll", "select"),
        *("getsockname", "getsockopt", "setsockopt", "shutdown", "socket"),
        *("read", "readv", "recv", "recvfrom", "recvmsg"),
        *("send", "sendmsg", "sendto", "write", "writev"),
    }
)
_FRAME = re.compile(r"^(?P<name>\S+) \((?P<where>[^)]*)\)$")


def parse_raw(text: str) -> list[tuple[list[str], int]]:
    """Read py-spy's raw output: one stack a line, frames joined by ';', then a count."""
    stacks = []
    for line in text.splitlines():
        frames, _, count = line.rstrip().rpartition(" ")
        if frames and count.isdigit():
            stacks.append((frames.split(";"), int(count)))
    return stacks


def system_call(frame: str) -> str | None:
    """The system call a frame is, when it is a libc wrapper that enters the kernel."""
    match = _FRAME.match(frame)
    if match and "libc" in match["where"] and match["name"] in SYSTEM_CALLS:
        return match["name"]
    return None


def phase(frames: list[str]) -> str:
    """The phase a stack belongs to (see PHASES)."""
    for name, marks in PHASES:
        if any(mark in frame for frame in frames for mark in marks):
            return name
    return OTHER


def split(stacks: list[tuple[list[str], int]], ms_per_post: float) -> dict:
    """Spread `ms_per_post` over the phases, in the process and in system calls, by samples.

    Also gives the system calls' own shares, by call.
    """
    total = sum(count for _, count in stacks) or 1
    phases: Counter[tuple[str, str]] = Counter()
    calls: Counter[str] = Counter()
    for frames, count in stacks:
        call = system_call(frames[-1])
        phases[(phase(frames), "system calls" if call else "process")] += count
        if call:
            calls[call] += count

    def ms(count: int) -> float:
        return round(count * ms_per_post / total, 3)

    return {
        "samples": total,
        "ms_per_post": ms_per_post,
        "phases": {f"{name}, {where}": ms(n) for (name, where), n in phases.most_common()},
        "system_calls": {call: ms(n) for call, n in calls.most_common()},
    }


async def _record(pid: int, path: Path, delay: float, seconds: float, rate: int) -> str:
    """Sample `pid` for `seconds`, `delay` seconds from now, into `path`; return py-spy's
    last words (its sample count, or why it failed)."""
    await asyncio.sleep(delay)
    command = ["py-spy", "record", "--native", "--format", "raw"]
    command += ["--rate", str(rate), "--duration", str(int(seconds)), "--pid", str(pid)]
    process = await asyncio.create_subprocess_exec(
        *command,
        "--output",
        str(path),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    said, _ = await process.communicate()
    lines = said.decode(errors="replace").strip().splitlines()
    # "Wrote raw flamegraph data to …. Samples: N Errors: M", or the last thing it said.
    return next((line for line in lines if "Samples:" in line), lines[-1] if lines else "")


def sample_target(args, target: str) -> dict:
    """Run one fan-out step on `target` with its server sampled; return step and split."""
    path = Path(args.out) / f"{target}-{args.async_mode}.raw"
    # Skip the first and last few seconds of the step: connections settle, the queue drains.
    margin = min(5.0, args.duration / 4)

    def during_step(_number, servers, _env):
        pid = servers[0].process.pid
        seconds = args.duration - 2 * margin
        return asyncio.ensure_future(_record(pid, path, margin, seconds, args.sample_rate))

    variant = (
        f"{target} {args.async_mode}",
        {"target": target, "rates": None, "ramp": False},
        FLOOD_LIFTED if target == "encore" else {},
    )
    (result,) = run_variants(args, [variant], during_step).values()
    if result.get("status") != "ok" or not result["steps"]:
        return {"status": result.get("status"), "reason": result.get("reason")}
    step = result["steps"][0]
    if not path.exists():
        return {"status": "no samples", "reason": step.get("side_load"), "step": step}
    return {
        "status": "ok",
        "raw": str(path),
        "py_spy": step.get("side_load"),
        "step_holds": step["holds"],
        **split(parse_raw(path.read_text()), step["server_cpu_ms_per_post"]),
    }


def table(results: dict[str, dict]) -> list[str]:
    """Side by side: each row's ms a post for every target, and the last over the first."""
    labels = list(results)
    lines = ["ms a post: " + " | ".join(labels) + (" | ratio" if len(labels) > 1 else "")]
    for group, most in (("phases", None), ("system_calls", 8)):
        # Rows by their largest value in any target, the largest first.
        biggest: Counter[str] = Counter()
        for result in results.values():
            for key, value in result.get(group, {}).items():
                biggest[key] = max(biggest[key], value)
        lines.append(f"-- {group.replace('_', ' ')}")
        for key, _ in biggest.most_common(most):
            values = [results[label].get(group, {}).get(key, 0.0) for label in labels]
            ratio = f" | {values[-1] / values[0]:.2f} ×" if len(values) > 1 and values[0] else ""
            lines.append(f"{key}: " + " | ".join(f"{v:.3f}" for v in values) + ratio)
    totals = [results[label].get("ms_per_post", 0.0) for label in labels]
    lines.append("all: " + " | ".join(f"{v:.2f}" for v in totals))
    return lines


def main(argv: list[str] | None = None) -> None:
    """Sample each target's server during one fan-out step and print the splits."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.cpu_samples",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    fanout.add_arguments(parser)
    parser.set_defaults(kind="rooms", clients=200, rate=80.0, duration=40.0)
    parser.add_argument(
        "--targets", default="bare,encore", help="servers, in this order (not --target)"
    )
    parser.add_argument("--sample-rate", type=int, default=100, help="samples a second")
    parser.add_argument("--out", default="bench/results/cpu_samples", help="raw samples here")
    args = parser.parse_args(argv)
    if shutil.which("py-spy") is None:
        reason = "py-spy is not installed (pip install py-spy)"
        not_available("cpu_samples", reason, args.json_out)
        return
    os.makedirs(args.out, exist_ok=True)
    results = {}
    for target in args.targets.split(","):
        results[target] = sample_target(args, target)
    notes = [
        f"{target}: {r.get('raw') or r.get('status')}, py-spy said: {r.get('py_spy') or '-'}"
        for target, r in results.items()
    ]
    report("cpu_samples", {"results": results}, table(results) + notes, args.json_out)


if __name__ == "__main__":
    main()
