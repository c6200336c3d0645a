"""A CPU cap of its own for one benchmark server process: a cgroup with a CFS quota.

On a small machine a scale-out run measures the machine instead of the architecture: one
web process at its ceiling already takes about a core, and the bench's clients, PostgreSQL,
Redis and nginx need the rest. Capping each web process at the same share of a core (say
0.35) keeps 1, 2 and 3 processes inside what the machine can give them, so the ceilings
compare the Redis queue and the shared database, not the scheduler.

Each capped process gets its own cgroup (one quota per process, never a shared one),
named `encore-bench-<run>-<port>`: under /sys/fs/cgroup/cpu with cgroup v1
(cpu.cfs_quota_us), or under /sys/fs/cgroup with cgroup v2 when its controllers list `cpu`
(cpu.max). It needs root. `join()` runs in the server's `preexec_fn`, so the process is
capped from its first instruction and whatever it forks inherits the cap. A bench killed
with SIGKILL leaves empty cgroups behind: `rmdir /sys/fs/cgroup/cpu/encore-bench-*`.
"""

from __future__ import annotations

import errno
import os
import sys
import time
from pathlib import Path

PERIOD_US = 100_000
MIN_QUOTA_US = 1_000  # the kernel refuses a CFS quota under 1 ms
V1_ROOT = Path("/sys/fs/cgroup/cpu")
V2_ROOT = Path("/sys/fs/cgroup")
PREFIX = "encore-bench-"


def hierarchy() -> tuple[str, Path] | None:
    """Where a CPU-capped cgroup can go: ("v1", its cpu mount) or ("v2", the root), or None.

    v1 comes first: on a hybrid system the cgroup2 mount has no controllers of its own.
    """
    if (V1_ROOT / "cpu.cfs_quota_us").exists():
        return "v1", V1_ROOT
    controllers = V2_ROOT / "cgroup.controllers"
    try:
        if "cpu" in controllers.read_text().split():
            return "v2", V2_ROOT
    except OSError:
        pass
    return None


def unavailable_reason(cores: float) -> str | None:
    """Why a quota of `cores` per process cannot be set here, or None when it can.

    It makes (and removes) one probe cgroup with that quota, so a read-only cgroupfs or
    a missing privilege shows up before any server starts, not as a run left uncapped.
    """
    if cores * PERIOD_US < MIN_QUOTA_US:
        return f"--cpu-quota {cores:g} is under the kernel's minimum of 0.01 of a core"
    found = hierarchy()
    if found is None:
        return (
            "--cpu-quota needs the cgroup cpu controller: neither /sys/fs/cgroup/cpu (v1)"
            " nor `cpu` in /sys/fs/cgroup/cgroup.controllers (v2) is there"
        )
    probe = CpuCgroup(f"probe-{os.getpid()}", cores)
    try:
        probe.create()
    except OSError as error:
        root = "" if os.geteuid() == 0 else " (it needs root)"
        return f"--cpu-quota cannot make a CPU-capped cgroup under {found[1]}{root}: {error}"
    finally:
        probe.remove()
    return None


class CpuCgroup:
    """One cgroup capping whatever is in it at `cores` of a core (quota per 100 ms period)."""

    def __init__(self, name: str, cores: float) -> None:
        found = hierarchy()
        if found is None:
            raise OSError(errno.ENOENT, "no cgroup cpu controller")
        self.version, self.root = found
        self.cores = cores
        self.quota_us = max(MIN_QUOTA_US, round(cores * PERIOD_US))
        self.path = self.root / (PREFIX + name)
        # Built now, so the preexec_fn in the forked child does no more than open and write.
        self._procs = str(self.path / "cgroup.procs")
        self._made = False

    def create(self) -> CpuCgroup:
        """Make the cgroup and set its quota."""
        if self.version == "v2":
            self._enable_v2_controller()
        self.path.mkdir()
        self._made = True
        if self.version == "v1":
            (self.path / "cpu.cfs_period_us").write_text(str(PERIOD_US))
            (self.path / "cpu.cfs_quota_us").write_text(str(self.quota_us))
        else:
            (self.path / "cpu.max").write_text(f"{self.quota_us} {PERIOD_US}")
        return self

    def _enable_v2_controller(self) -> None:
        """Under cgroup v2 a child only gets cpu.max once its parent delegates `cpu`."""
        control = self.root / "cgroup.subtree_control"
        if "cpu" not in control.read_text().split():
            control.write_text("+cpu")

    def join(self, pid: int = 0) -> None:
        """Move process `pid` (0: the calling process) into the cgroup.

        Safe in a `preexec_fn`: one open and one write of the child's own pid.
        """
        with open(self._procs, "w") as handle:
            handle.write(str(pid or os.getpid()))

    def throttling(self) -> dict:
        """The cap's effect so far, from cpu.stat: periods run, periods throttled, seconds
        spent throttled."""
        values = {}
        for line in (self.path / "cpu.stat").read_text().splitlines():
            key, _, value = line.partition(" ")
            if value.strip().isdigit():
                values[key] = int(value)
        if self.version == "v1":
            throttled_s = values.get("throttled_time", 0) / 1e9  # nanoseconds
        else:
            throttled_s = values.get("throttled_usec", 0) / 1e6
        return {
            "nr_periods": values.get("nr_periods", 0),
            "nr_throttled": values.get("nr_throttled", 0),
            "throttled_time_s": round(throttled_s, 3),
        }

    def remove(self) -> None:
        """Remove the cgroup once its process is gone; warn rather than raise (cleanup).

        A process still inside (a stray child of a stopped server) is moved to the root
        first, since a cgroup that holds a process cannot be removed.
        """
        if not self._made:
            return
        try:
            for pid in Path(self._procs).read_text().split():
                (self.root / "cgroup.procs").write_text(pid)
        except OSError:
            pass
        for _ in range(50):
            try:
                self.path.rmdir()
                self._made = False
                return
            except FileNotFoundError:
                self._made = False
                return
            except OSError as error:
                # A process that has just been reaped can take a moment to leave.
                if error.errno != errno.EBUSY:
                    break
                time.sleep(0.1)
        print(f"warning: could not remove cgroup {self.path}", file=sys.stderr)


def since(now: dict | None, before: dict | None) -> dict | None:
    """The throttling between two `throttling()` readings."""
    if now is None or before is None:
        return None
    return {
        "nr_periods": now["nr_periods"] - before["nr_periods"],
        "nr_throttled": now["nr_throttled"] - before["nr_throttled"],
        "throttled_time_s": round(now["throttled_time_s"] - before["throttled_time_s"], 3),
    }


def throttling_text(readings: list[dict | None]) -> str:
    """A short summary of per-process throttling: "12/40 periods 0.4 s; 30/41 periods 1.1 s"."""
    return "; ".join(
        f"{t['nr_throttled']}/{t['nr_periods']} periods {t['throttled_time_s']:.1f} s" if t else "–"
        for t in readings
    )
