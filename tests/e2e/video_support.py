"""What the live-video browser tests share: the namespace marker, the loopback Chromium,
the page recorders and the checks that video really decodes.

Every video browser test runs only inside the loopback-only network namespace
(tests/e2e/test_video_netns.py re-runs them under `unshare -n` with ENCORE_VIDEO_NETNS=1
and the embedded defaults); run on their own they skip. `video_server` starts a server of
a module's own with extra settings (a viewer cap, a Janus).
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.show import LIVE_MS, ROOM_URL, Person, connected, join, person
from tests.e2e.support import CHROMIUM_ARGS, Browsers, eventually
from tests.support.live_server import LiveServer

# pytestmark for every video browser module.
VIDEO_MARKS = [
    pytest.mark.e2e,
    pytest.mark.video,
    pytest.mark.skipif(
        os.environ.get("ENCORE_VIDEO_NETNS") != "1",
        reason="runs inside a loopback-only network namespace (tests/e2e/test_video_netns.py)",
    ),
]


def video_server(database, prefix: str, extra_env: dict[str, str]) -> Iterator[LiveServer]:
    """Run an Encore server of the module's own with `extra_env` (a fixture's body)."""
    from tests.conftest import REDIS_PREFIX

    instance = tempfile.mkdtemp(prefix=prefix)
    live = LiveServer(
        database.url,
        redis_url=os.environ.get("TEST_REDIS_URL_RESOLVED"),
        prefix=REDIS_PREFIX,
        instance_path=instance,
        extra_env=extra_env,
    ).start()
    yield live
    live.stop()
    shutil.rmtree(instance, ignore_errors=True)


MEDIA_MS = 20_000
# Peer connections join on loopback only; without this Chromium leaves 127.0.0.1 out.
VIDEO_ARGS = [*CHROMIUM_ARGS, "--allow-loopback-in-peer-connection"]

# Test-side only: remember every RTCPeerConnection and camera stream a page makes.
RECORDER = """
(() => {
  const pcs = []; window.__pcs = pcs;
  const Original = window.RTCPeerConnection;
  if (Original) {
    const Recorded = function (...args) {
      const pc = new Original(...args); pcs.push(pc); return pc;
    };
    Recorded.prototype = Original.prototype;
    window.RTCPeerConnection = Recorded;
  }
  const streams = []; window.__streams = streams;
  if (navigator.mediaDevices && navigator.mediaDevices.getUserMedia) {
    const gum = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
    navigator.mediaDevices.getUserMedia = (c) => gum(c).then((s) => { streams.push(s); return s; });
  }
})();
"""

FRAMES_DECODED = """
async () => {
  let total = 0;
  for (const pc of window.__pcs) {
    if (pc.connectionState === "closed") continue;
    const stats = await pc.getStats();
    stats.forEach((r) => {
      if (r.type === "inbound-rtp" && r.kind === "video") total += r.framesDecoded || 0;
    });
  }
  return total;
}
"""

PEERS = """
async () => {
  const out = [];
  for (const pc of window.__pcs) {
    const stats = await pc.getStats();
    const rows = [];
    stats.forEach((r) => { if (r.type === "inbound-rtp") rows.push([r.kind, r.framesDecoded]); });
    out.push([pc.connectionState, pc.iceConnectionState, pc.signalingState, rows]);
  }
  return out;
}
"""

DECODING_PEERS = """
async () => {
  let decoding = 0;
  for (const pc of window.__pcs) {
    if (pc.connectionState === "closed") continue;
    const stats = await pc.getStats();
    let frames = 0;
    stats.forEach((r) => {
      if (r.type === "inbound-rtp" && r.kind === "video") frames += r.framesDecoded || 0;
    });
    if (frames > 0) decoding += 1;
  }
  return decoding;
}
"""

TILE_WIDTH = """
(name) => {
  const tile = [...document.querySelectorAll("#video-stage .video-tile")]
    .find((f) => f.querySelector("figcaption").textContent === name);
  const video = tile && tile.querySelector("video");
  return video ? video.videoWidth : 0;
}
"""

CAMERA_TRACKS_LIVE = (
    "() => window.__streams.reduce((n, s) => "
    "n + s.getTracks().filter((t) => t.readyState === 'live').length, 0)"
)


@pytest.fixture(scope="module")
def chromium(chromium_path):
    """The package's Chromium, launched with loopback allowed for peer connections."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path, args=VIDEO_ARGS, headless=True
        )
        no_camera = playwright.chromium.launch(
            executable_path=chromium_path,
            # No fake permission prompt: the page is refused the camera, as when denied.
            args=[a for a in VIDEO_ARGS if a != "--use-fake-ui-for-media-stream"],
            headless=True,
        )
        browser.no_camera = no_camera
        yield browser
        no_camera.close()
        browser.close()


def phone(browsers: Browsers, prefix: str, name: str) -> Person:
    """A phone that records its peer connections and camera streams, signed up."""
    someone = person(browsers, prefix, name)
    someone.page.context.add_init_script(script=RECORDER)
    return someone


# The phones the video tests hand out, by username prefix.
CAST = {"hana": "김하나", "bora": "이보라", "chan": "박찬", "dami": "최다미"}


def cast(browsers: Browsers, *prefixes: str) -> list[Person]:
    """A signed-up phone for each of `prefixes` (the first is the host)."""
    return [phone(browsers, prefix, CAST[prefix]) for prefix in prefixes]


def start_show(people: list[Person], room: str, *, host_first: bool = False) -> None:
    """The guests join, everyone sits on the room page, and the host starts the show
    (picking themselves to perform first when `host_first`)."""
    host = people[0]
    for guest in people[1:]:
        join(guest, room)
    for someone in people:
        on_room_page(someone, room)
    if host_first:
        host.page.get_by_label("Who performs first?").select_option(label=f"{host.name} (you)")
    host.stage.get_by_role("button", name="Start the show").click()


def on_room_page(someone: Person, room: str) -> None:
    """Open (or reopen) the room page, so the recorder is in place before video.js runs."""
    someone.page.goto(room)
    connected(someone)


def decodes_from(viewer: Page, performer: Person) -> None:
    """The viewer shows the performer's tile with real frames, and decoding goes on."""
    eventually(
        viewer,
        lambda: viewer.evaluate(TILE_WIDTH, performer.name) > 0,
        timeout=MEDIA_MS,
        message=f"no video of {performer.name}",
    )
    first = viewer.evaluate(FRAMES_DECODED)
    eventually(
        viewer,
        lambda: viewer.evaluate(FRAMES_DECODED) > first,
        timeout=MEDIA_MS,
        message=f"frames stopped being decoded: {viewer.evaluate(PEERS)}",
    )


def camera_on(someone: Person) -> None:
    """Press the camera button; the page's camera is live."""
    button = someone.page.get_by_role("button", name="Turn on camera")
    expect(button).to_be_visible(timeout=LIVE_MS)
    button.click()
    # Opening the (fake) camera is media start-up, like the first frame: with three phones
    # already sending to each other on two cores it has taken over 5 s.
    eventually(
        someone.page,
        lambda: someone.page.evaluate(CAMERA_TRACKS_LIVE) > 0,
        timeout=MEDIA_MS,
        message=f"{someone.name}'s camera did not start",
    )


def camera_stopped(someone: Person) -> None:
    """Every camera and microphone track the page opened has ended."""
    eventually(
        someone.page,
        lambda: someone.page.evaluate(CAMERA_TRACKS_LIVE) == 0,
        timeout=LIVE_MS,
        message=f"{someone.name}'s camera is still on",
    )


# Test-side: make one of the page's live connections report an ICE failure once. The
# state machine is real; only this one reading of `iceConnectionState` says "failed",
# through the same event and handler a real failure goes through.
FAIL_ICE = """
(sending) => {
  const pc = window.__pcs.find((p) => p.connectionState !== "closed" &&
    p.getSenders().some((s) => s.track) === sending);
  if (!pc) return false;
  Object.defineProperty(pc, "iceConnectionState", {configurable: true, get: () => "failed"});
  pc.dispatchEvent(new Event("iceconnectionstatechange"));
  delete pc.iceConnectionState;
  return true;
}
"""

# The ICE username fragment in the remote description of the page's live sending (true)
# or receiving (false) connection: it changes when ICE restarts.
REMOTE_UFRAG = """
(sending) => {
  const pc = window.__pcs.find((p) => p.connectionState !== "closed" &&
    p.getSenders().some((s) => s.track) === sending && p.remoteDescription);
  const m = pc && /a=ice-ufrag:(\\S+)/.exec(pc.remoteDescription.sdp);
  return m ? m[1] : "";
}
"""

# Where the tile of `name` sits: "main" (large) or "gallery".
TILE_BOX = """
(name) => {
  const tile = [...document.querySelectorAll("#video-stage .video-tile")]
    .find((f) => f.querySelector("figcaption").textContent === name);
  if (!tile) return "";
  return tile.closest("#video-main") ? "main" : tile.closest("#video-gallery") ? "gallery" : "";
}
"""


def open_everyone_room(host: Person, title: str, seats: int) -> str:
    """Open an `everyone` room through the create form; return its path."""
    page = host.page
    page.goto("/rooms/new")
    page.get_by_label("Title").fill(title)
    page.get_by_label("Category").select_option("karaoke")
    page.get_by_role("radio", name=re.compile("^Everyone")).check()
    page.get_by_label("Seats").fill(str(seats))
    page.get_by_role("button", name="Open the room").click()
    expect(page).to_have_url(ROOM_URL)
    return "/rooms/" + ROOM_URL.search(page.url).group(1)


def everyone_decodes_everyone(people: list[Person]) -> None:
    """Every page shows the other pages' video and keeps decoding all of it."""
    count = len(people) - 1
    for someone in people:
        others = [other.name for other in people if other is not someone]
        eventually(
            someone.page,
            lambda s=someone, o=others: all(s.page.evaluate(TILE_WIDTH, n) > 0 for n in o),
            timeout=MEDIA_MS * 3,
            message=f"{someone.name} does not show all of {others}",
        )
        eventually(
            someone.page,
            lambda s=someone: s.page.evaluate(DECODING_PEERS) >= count,
            timeout=MEDIA_MS,
            message=f"{someone.name} decodes fewer than {count} streams",
        )
        first = someone.page.evaluate(FRAMES_DECODED)
        eventually(
            someone.page,
            lambda s=someone, f=first: s.page.evaluate(FRAMES_DECODED) > f,
            timeout=MEDIA_MS,
        )
