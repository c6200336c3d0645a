"""Live video, peer to peer: the performer's upload per viewer connection.

Peer to peer, the performer's phone sends one stream to every viewer, so its upload grows
with the room (docs/video.md, "Topology: peer to peer"). For 1, 3 and 8 viewers this
puts a performer on camera in real Chromium (fake camera, 640×480) with the viewers
decoding, then reads the performer's `outbound-rtp` `bytesSent` (audio and video) on each
sending connection over `--seconds` (10) and prints kbit/s per viewer and in total. Same
namespace and server set-up as bench/video_first_frame.py. Numbers only; nothing is
asserted.

    .venv/bin/python -m bench.video_upload --viewers 1,3,8 --seconds 10
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time

from bench.harness import report
from bench.video_first_frame import PAGE_PROBE, Show, _in_namespace, _reexec_in_namespace, _serve

NAME = "video_upload"

# Test-side only: remember the page's RTCPeerConnections, to read their stats.
PC_RECORDER = """
(() => {
  const pcs = []; window.__pcs = pcs;
  const Original = window.RTCPeerConnection;
  const Recorded = function (...args) {
    const pc = new Original(...args); pcs.push(pc); return pc;
  };
  Recorded.prototype = Original.prototype;
  window.RTCPeerConnection = Recorded;
})();
"""

# Bytes sent so far on each of the page's open sending connections.
BYTES_SENT = """
async () => {
  const out = [];
  for (const pc of window.__pcs) {
    if (pc.connectionState === "closed" || !pc.getSenders().some((s) => s.track)) continue;
    let bytes = 0;
    (await pc.getStats()).forEach((r) => { if (r.type === "outbound-rtp") bytes += r.bytesSent; });
    out.push(bytes);
  }
  return out;
}
"""


def _measure(browser, viewers: int, seconds: float) -> dict:
    """One room with `viewers` viewers: the performer's kbit/s per sending connection."""
    instance = tempfile.mkdtemp(prefix="encore-bench-upload-")
    server = _serve(instance, None)
    try:
        show = Show(browser, server.url, viewers, probe=PAGE_PROBE + PC_RECORDER)
        show.performer.get_by_role("button", name="Turn on camera").click()
        for page in show.viewers:
            page.wait_for_function("() => window.__firstFrame !== null", timeout=120_000)
        time.sleep(2)  # past the first keyframes and the encoder's ramp-up
        before, t0 = show.performer.evaluate(BYTES_SENT), time.monotonic()
        time.sleep(seconds)
        after, elapsed = show.performer.evaluate(BYTES_SENT), time.monotonic() - t0
        show.close()
    finally:
        server.stop()
        shutil.rmtree(instance, ignore_errors=True)
    pairs = zip(before, after, strict=False)
    per_viewer = [round((b - a) * 8 / 1000 / elapsed, 1) for a, b in pairs]
    return {
        "viewers": viewers,
        "connections": len(per_viewer),
        "seconds": round(elapsed, 1),
        "kbit_s_per_viewer": per_viewer,
        "kbit_s_mean": round(sum(per_viewer) / len(per_viewer), 1) if per_viewer else None,
        "kbit_s_total": round(sum(per_viewer), 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--viewers", default="1,3,8", help="viewer counts, comma-separated")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--json-out", dest="json_out", default=None)
    args = parser.parse_args()
    if not _in_namespace():
        return _reexec_in_namespace(NAME)

    from playwright.sync_api import sync_playwright

    from tests.e2e.support import CHROMIUM, CHROMIUM_ARGS

    results = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, "--allow-loopback-in-peer-connection"]
        )
        for count in filter(None, args.viewers.split(",")):
            try:
                result = _measure(browser, int(count), args.seconds)
            except Exception as error:  # report it and go on with the next count
                result = {"viewers": int(count), "error": repr(error)}
            print(result, flush=True)
            results.append(result)
        browser.close()
    summary = [
        f"p2p {r['viewers']:2} viewers: failed: {r['error']}"
        if "error" in r
        else f"p2p {r['viewers']:2} viewers: performer upload {r['kbit_s_mean']} kbit/s per"
        f" viewer, {r['kbit_s_total']} kbit/s total ({r['connections']} connections,"
        f" {r['seconds']} s)"
        for r in results
    ]
    report(NAME, {"results": results}, summary, args.json_out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
