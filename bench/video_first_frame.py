"""Live video: time from the performer's camera coming on to each viewer's first decoded
frame, peer to peer and through Janus, and the web process's CPU per signalling message.

Real Chromium pages with fake cameras, a real Encore server (SQLite, one process) and a
real Janus from the Debian package, all inside a network namespace that has only loopback
and one veth interface (as tests/e2e/test_video_netns.py does), so no media leaves the
machine. The script re-runs itself under `unshare -n` (root or user namespaces).

t0 is the press of "Turn on camera" by the performer, already on air (on air itself waits
on a person); a viewer's sample is the first moment its performer tile has a decoded frame
(`videoWidth > 0`). Each round stops the camera, waits until every tile is gone and starts
it again. CPU per signalling message is the web process's CPU seconds during the P2P
rounds over the `rtc:*` frames the pages sent (an upper bound: the state reads those
rounds cause are in it too). Numbers only; nothing is asserted.

    .venv/bin/python -m bench.video_first_frame --viewers 3,8 --janus-viewers 3,8,12 --rounds 3
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.harness import migrate, percentiles, report

ROOT = Path(__file__).resolve().parents[1]
NAME = "video_first_frame"

# Test-side only, in every page: when the performer's tile first shows a frame, and how
# many `rtc:*` Socket.IO frames the page sent.
PAGE_PROBE = """
(() => {
  window.__firstFrame = null; window.__rtcSent = 0;
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (data) {
    if (typeof data === "string" && data.indexOf('"rtc:') !== -1) window.__rtcSent += 1;
    return send.call(this, data);
  };
  setInterval(() => {
    if (window.__firstFrame !== null) return;
    const video = document.querySelector("#video-main video");
    if (video && video.videoWidth > 0) window.__firstFrame = Date.now();
  }, 5);
})();
"""


def _in_namespace() -> bool:
    return os.environ.get("ENCORE_VIDEO_NETNS") == "1"


def _reexec_in_namespace(name: str = NAME) -> int:
    """Run this script again inside a fresh loopback-only namespace with the veth."""
    from tests.support.janus_server import MEDIA_ADDRESS, MEDIA_INTERFACE

    setup = (
        "ip link set lo up"
        f" && ip link add {MEDIA_INTERFACE} type veth peer name {MEDIA_INTERFACE}-p"
        f" && ip link set {MEDIA_INTERFACE}-p up"
        f" && ip addr add {MEDIA_ADDRESS} dev {MEDIA_INTERFACE}"
        f" && ip link set {MEDIA_INTERFACE} up"
        ' && exec "$@"'
    )
    env = dict(os.environ, ENCORE_VIDEO_NETNS="1")
    command = ["unshare", "-n", "sh", "-c", setup, "sh", sys.executable, "-m", "bench." + name]
    return subprocess.run(command + sys.argv[1:], cwd=ROOT, env=env, check=False).returncode


def _cpu_seconds(pid: int) -> float:
    """Return the user+system CPU seconds of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Show:
    """One room on a live server: a performer on air and N viewers, each a Chromium page."""

    def __init__(self, browser, server_url: str, viewers: int, probe: str = PAGE_PROBE) -> None:
        from tests.support.live_server import WebUser

        self.url = server_url
        tag = str(int(time.time() * 1000))[-7:]
        people = [WebUser(server_url).signup(f"v{tag}{i}") for i in range(viewers + 1)]
        host = people[0]
        created = host.post(
            "/rooms/",
            {
                "title": "bench",
                "category": "karaoke",
                "mode": "casual",
                "capacity": str(max(viewers + 1, 2)),
                "video": "stage",
            },
        )
        assert created.status_code == 303, created.text[:300]
        self.room = "/rooms/" + created.headers["Location"].rstrip("/").rsplit("/", 1)[1]
        for guest in people[1:]:
            assert guest.post(self.room + "/join").status_code == 303
        self.pages = []
        for person in people:
            context = browser.new_context(locale="en-US")
            context.add_cookies(
                [{"name": c.name, "value": c.value, "url": server_url} for c in person.http.cookies]
            )
            context.add_init_script(script=probe)
            page = context.new_page()
            page.goto(server_url + self.room)
            self.pages.append(page)
        for page in self.pages:
            page.wait_for_function("() => window.encoreSocket && window.encoreSocket.connected")
        assert host.post(self.room + "/start").status_code == 303
        self.performer, self.viewers = self.pages[0], self.pages[1:]
        self.performer.get_by_role("button", name="Turn on camera").wait_for(timeout=30_000)

    def round(self, timeout: float = 120.0) -> list[float]:
        """Camera on; return each viewer's seconds to the first frame; camera off again."""
        for page in self.viewers:
            page.evaluate("() => { window.__firstFrame = null; }")
        t0 = time.time() * 1000
        self.performer.get_by_role("button", name="Turn on camera").click()
        deadline = time.monotonic() + timeout
        samples: list[float] = []
        waiting = list(self.viewers)
        while waiting and time.monotonic() < deadline:
            for page in list(waiting):
                first = page.evaluate("() => window.__firstFrame")
                if first is not None:
                    samples.append((first - t0) / 1000)
                    waiting.remove(page)
            time.sleep(0.05)
        self.performer.get_by_role("button", name="Stop my camera").click()
        for page in self.viewers:
            page.wait_for_function(
                "() => !document.querySelector('#video-main video')", timeout=60_000
            )
        return samples

    def rtc_sent(self) -> int:
        return sum(page.evaluate("() => window.__rtcSent") for page in self.pages)

    def close(self) -> None:
        for page in self.pages:
            page.context.close()


def _serve(instance: str, extra_env: dict | None):
    from tests.support.live_server import LiveServer

    database = f"sqlite:///{instance}/bench.sqlite3"
    migrate(database, instance)
    env = {"VIDEO_P2P_MAX_VIEWERS": "64", **(extra_env or {})}
    return LiveServer(
        database, redis_url=None, prefix="bench-video:", instance_path=instance, extra_env=env
    ).start()


def _scenario(browser, viewers: int, rounds: int, janus=None) -> dict:
    """Run one topology and viewer count; never raise (a failure is reported as such)."""
    try:
        result = _measure(browser, viewers, rounds, janus)
    except Exception as error:  # report it and go on with the next one
        result = {"topology": "janus" if janus else "p2p", "viewers": viewers, "error": repr(error)}
    print(result, flush=True)
    return result


def _measure(browser, viewers: int, rounds: int, janus=None) -> dict:
    instance = tempfile.mkdtemp(prefix="encore-bench-video-")
    server = _serve(instance, janus.settings() if janus else None)
    try:
        show = Show(browser, server.url, viewers)
        cpu0, sent0 = _cpu_seconds(server.process.pid), show.rtc_sent()
        samples: list[float] = []
        for _ in range(rounds):
            samples += show.round()
        cpu = _cpu_seconds(server.process.pid) - cpu0
        sent = show.rtc_sent() - sent0
        show.close()
    finally:
        server.stop()
        shutil.rmtree(instance, ignore_errors=True)
    return {
        "topology": "janus" if janus else "p2p",
        "viewers": viewers,
        "rounds": rounds,
        "missing": viewers * rounds - len(samples),
        "first_frame_s": percentiles(samples),
        "rtc_messages": sent,
        "web_cpu_s": round(cpu, 3),
        "web_cpu_ms_per_rtc_message": round(cpu * 1000 / sent, 3) if sent else None,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--viewers", default="3,8", help="P2P viewer counts, comma-separated")
    parser.add_argument("--janus-viewers", default="8", help="viewer counts through Janus")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json-out", dest="json_out", default=None)
    args = parser.parse_args()
    if not _in_namespace():
        return _reexec_in_namespace()

    from playwright.sync_api import sync_playwright

    from tests.e2e.support import CHROMIUM, CHROMIUM_ARGS
    from tests.support.janus_server import JanusServer

    chromium_args = [*CHROMIUM_ARGS, "--allow-loopback-in-peer-connection"]
    results = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=chromium_args)
        for count in filter(None, args.viewers.split(",")):
            results.append(_scenario(browser, int(count), args.rounds))
        janus = JanusServer().start()
        try:
            for count in filter(None, args.janus_viewers.split(",")):
                results.append(_scenario(browser, int(count), args.rounds, janus))
        finally:
            janus.stop()
        browser.close()
    summary = [
        f"{r['topology']:5} {r['viewers']:2} viewers: failed: {r['error']}"
        if "error" in r
        else f"{r['topology']:5} {r['viewers']:2} viewers: first frame"
        f" p50 {r['first_frame_s']['p50']} s p95 {r['first_frame_s']['p95']} s"
        f" (missing {r['missing']}); {r['rtc_messages']} rtc msgs,"
        f" web CPU {r['web_cpu_ms_per_rtc_message']} ms/msg"
        for r in results
    ]
    report(NAME, {"results": results}, summary, args.json_out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
