"""Run the live-video browser tests inside a network namespace that has only loopback.

Media then cannot leave the machine whatever the browser tries, and the tests cannot lean
on a network they would not have in production either. Shared PostgreSQL and Redis are
not reachable in there, so the inner run uses the embedded defaults (SQLite, no Redis).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.janus_server import MEDIA_ADDRESS, MEDIA_INTERFACE
from tests.support.services import missing_service

ROOT = Path(__file__).resolve().parents[2]
INNER = ["tests/e2e/test_video.py", "tests/e2e/test_video_cap.py"]
# The same pages through a Janus the inner run starts from the Debian package.
INNER_JANUS = ["tests/e2e/test_video_janus.py"]

pytestmark = pytest.mark.e2e


def _namespace_works() -> bool:
    """Tell whether this process may create a network namespace (root or user namespaces)."""
    probe = subprocess.run(
        ["unshare", "-n", "ip", "link", "set", "lo", "up"],
        capture_output=True,
        timeout=30,
    )
    return probe.returncode == 0


def _digest(stdout: str) -> str:
    """What a failure message needs of the inner run: its failures first, then its end.

    A failing browser test prints each phone's request log, so the tail alone showed
    requests and hid which test failed and at which assertion.
    """
    failures = stdout.find("= FAILURES =")
    if failures < 0:
        return stdout[-6000:]
    return stdout[failures : failures + 6000] + "\n[…]\n" + stdout[-3000:]


def _run_inside(inner: list[str], must_pass: tuple[str, ...] = ()) -> None:
    """Run the `video` tests of `inner` with pytest inside a loopback-only namespace."""
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        missing_service("no unshare/ip (util-linux, iproute2) for the video namespace")
    if not _namespace_works():
        missing_service("cannot create a network namespace here (needs root or userns)")
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("TEST_DATABASE_URL", "TEST_REDIS_URL")
        and not key.endswith("_RESOLVED")
        and key not in ("TEST_REDIS_PREFIX", "ENCORE_INSTANCE_PATH")
    }
    env["ENCORE_VIDEO_NETNS"] = "1"
    command = [
        "unshare",
        "-n",
        "sh",
        "-c",
        "ip link set lo up"
        f" && ip link add {MEDIA_INTERFACE} type veth peer name {MEDIA_INTERFACE}-p"
        f" && ip link set {MEDIA_INTERFACE}-p up"
        f" && ip addr add {MEDIA_ADDRESS} dev {MEDIA_INTERFACE}"
        f" && ip link set {MEDIA_INTERFACE} up"
        ' && exec "$@"',
        "sh",
        sys.executable,
        "-m",
        "pytest",
        *inner,
        "-m",
        "video",
        "-q",
        "-rA",
        "-p",
        "no:cacheprovider",
    ]
    run = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=2300)
    output = _digest(run.stdout) + run.stderr[-3000:]
    assert run.returncode == 0, output
    # Every inner test ran and passed: a skip in there would hide a missing feature.
    assert " passed" in run.stdout and "skipped" not in run.stdout, output
    for name in must_pass:  # named so that dropping one from a file cannot go unnoticed
        assert f"PASSED {name}" in run.stdout or f"::{name} PASSED" in run.stdout, output


# Six browser tests with up to four fake cameras each; the inner run has its own timeouts.
@pytest.mark.timeout(2400)
def test_video_in_a_loopback_only_namespace(chromium_path, axe_available):
    _run_inside(INNER, ("tests/e2e/test_video.py::test_an_ice_failure_restarts_once_then_says_so",))


# Janus starts inside the namespace too, so its media stays on loopback like the browsers'.
@pytest.mark.timeout(2400)
def test_video_through_janus_in_a_loopback_only_namespace(chromium_path, axe_available):
    if shutil.which("janus") is None:
        missing_service("janus is not installed (apt-get install -y janus)")
    _run_inside(
        INNER_JANUS,
        (
            "tests/e2e/test_video_janus.py::test_everyone_mode_through_janus_with_four_phones",
            "tests/e2e/test_video_janus.py::test_janus_ice_failures_restart_once_then_say_so",
            "tests/e2e/test_video_janus.py::"
            "test_only_the_performer_reaches_viewers_and_intruders_are_kicked",
        ),
    )
