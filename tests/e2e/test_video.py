"""Live video in real Chromium with fake cameras, through the real pages (peer to peer).

These run only inside a network namespace that has nothing but loopback, so no media can
leave the machine: tests/e2e/test_video_netns.py re-runs this file under `unshare -n` with
ENCORE_VIDEO_NETNS=1 and the embedded defaults (SQLite, no Redis). Run on their own they
skip.
"""

from __future__ import annotations

import os
import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.show import (
    LIVE_MS,
    ROOM_URL,
    Person,
    connected,
    join,
    nominate,
    open_room,
    person,
    score_button,
)
from tests.e2e.support import CHROMIUM_ARGS, Browsers, eventually, sign_up, unique

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.video,
    pytest.mark.skipif(
        os.environ.get("ENCORE_VIDEO_NETNS") != "1",
        reason="runs inside a loopback-only network namespace (tests/e2e/test_video_netns.py)",
    ),
]

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
    eventually(someone.page, lambda: someone.page.evaluate(CAMERA_TRACKS_LIVE) > 0)


def camera_stopped(someone: Person) -> None:
    """Every camera and microphone track the page opened has ended."""
    eventually(
        someone.page,
        lambda: someone.page.evaluate(CAMERA_TRACKS_LIVE) == 0,
        timeout=LIVE_MS,
        message=f"{someone.name}'s camera is still on",
    )


def test_stage_video_on_three_phones_follows_the_turn(browsers):
    host = phone(browsers, "hana", "김하나")
    bora = phone(browsers, "bora", "이보라")
    chan = phone(browsers, "chan", "박찬")
    room = open_room(host, "영상 노래방")
    for guest in (bora, chan):
        join(guest, room)
    for someone in (host, bora, chan):
        on_room_page(someone, room)
    host.page.get_by_label("Who performs first?").select_option(label=f"{host.name} (you)")
    host.stage.get_by_role("button", name="Start the show").click()

    # Nobody is asked for a camera until they press the button.
    expect(host.page.get_by_role("button", name="Turn on camera")).to_be_visible(timeout=LIVE_MS)
    assert host.page.evaluate("() => window.__streams.length") == 0
    expect(bora.page.get_by_role("button", name="Turn on camera")).to_be_hidden()
    camera_on(host)
    for viewer in (bora, chan):
        decodes_from(viewer.page, host)
        expect(viewer.page.get_by_role("button", name="Tap for sound")).to_be_visible()
        expect(viewer.page.locator("#video-status")).to_contain_text("Sound starts after you tap")

    # The turn passes: the host's camera goes off at once, the next performer takes over.
    nominate(host, bora)
    host.stage.get_by_role("button", name="End the turn").click()
    camera_stopped(host)
    for viewer in (bora, chan):
        eventually(viewer.page, lambda v=viewer: v.page.evaluate(TILE_WIDTH, host.name) == 0)
    score_button(bora, 8).click()
    score_button(chan, 7).click()
    camera_on(bora)
    for viewer in (host, chan):
        decodes_from(viewer.page, bora)
        assert viewer.page.evaluate(TILE_WIDTH, host.name) == 0
    camera_stopped(host)

    # Ending the turn stops the performer's camera too.
    bora.stage.get_by_role("button", name="End the turn").click()
    camera_stopped(bora)


def test_a_spectator_without_a_seat_watches_the_stage(browsers):
    host = phone(browsers, "hana", "김하나")
    bora = phone(browsers, "bora", "이보라")
    room = open_room(host, "관객이 보는 무대", capacity=2)
    join(bora, room)
    for someone in (host, bora):
        on_room_page(someone, room)
    host.stage.get_by_role("button", name="Start the show").click()
    camera_on(host)
    decodes_from(bora.page, host)
    # Someone logged in arrives late, with every seat taken: a spectator (show rule 10).
    dami = phone(browsers, "dami", "최다미")
    on_room_page(dami, room)
    decodes_from(dami.page, host)
    expect(dami.page.get_by_role("button", name="Tap for sound")).to_be_visible()
    # A spectator only receives: no camera button, no camera opened, nothing sent.
    assert dami.page.locator("#video-start").count() == 0
    assert dami.page.evaluate("() => window.__streams.length") == 0
    senders = dami.page.evaluate(
        "() => window.__pcs.filter((pc) => pc.getSenders().some((s) => s.track)).length"
    )
    assert senders == 0
    # The turn ends: the spectator's stage empties as everyone else's does.
    host.stage.get_by_role("button", name="End the turn").click()
    camera_stopped(host)
    eventually(dami.page, lambda: dami.page.evaluate(TILE_WIDTH, host.name) == 0)


def test_leaving_the_page_stops_the_camera_for_everyone(browsers):
    host = phone(browsers, "hana", "김하나")
    bora = phone(browsers, "bora", "이보라")
    room = open_room(host, "떠나는 무대", capacity=2)
    join(bora, room)
    for someone in (host, bora):
        on_room_page(someone, room)
    host.stage.get_by_role("button", name="Start the show").click()
    camera_on(host)
    decodes_from(bora.page, host)
    # Navigating away: pagehide stops the tracks and tells the viewers.
    host.page.goto("/")
    eventually(
        bora.page,
        lambda: bora.page.evaluate(TILE_WIDTH, host.name) == 0,
        timeout=LIVE_MS,
        message="the viewer still shows the performer who left",
    )


def test_a_dropped_connection_renegotiates_the_video(browsers):
    host = phone(browsers, "hana", "김하나")
    bora = phone(browsers, "bora", "이보라")
    room = open_room(host, "다시 연결", capacity=2)
    join(bora, room)
    for someone in (host, bora):
        on_room_page(someone, room)
    host.stage.get_by_role("button", name="Start the show").click()
    camera_on(host)
    decodes_from(bora.page, host)
    # The viewer's socket drops and reconnects: it asks again on a new connection.
    # Then the performer's does: it announces again and the viewer is offered anew.
    for dropped in (bora, host):
        before = bora.page.evaluate("() => window.__pcs.length")
        dropped.page.evaluate("() => window.encoreSocket.io.engine.close()")
        eventually(
            bora.page,
            lambda b=before: bora.page.evaluate("() => window.__pcs.length") > b,
            timeout=MEDIA_MS,
            message=f"no new connection after {dropped.name}'s socket dropped",
        )
        decodes_from(bora.page, host)
    assert host.page.evaluate(CAMERA_TRACKS_LIVE) > 0


@pytest.mark.timeout(900)
def test_everyone_mode_gallery_with_four_phones(browsers):
    names = [("hana", "김하나"), ("bora", "이보라"), ("chan", "박찬"), ("dami", "최다미")]
    people = [phone(browsers, prefix, name) for prefix, name in names]
    host = people[0]
    page = host.page
    page.goto("/rooms/new")
    page.get_by_label("Title").fill("다 같이 카메라")
    page.get_by_label("Category").select_option("karaoke")
    page.get_by_role("radio", name=re.compile("^Everyone")).check()
    page.get_by_label("Seats").fill("4")
    page.get_by_role("button", name="Open the room").click()
    expect(page).to_have_url(ROOM_URL)
    room = "/rooms/" + ROOM_URL.search(page.url).group(1)
    for guest in people[1:]:
        join(guest, room)
    for someone in people:
        on_room_page(someone, room)
    host.stage.get_by_role("button", name="Start the show").click()
    for someone in people:
        camera_on(someone)
    for someone in people:
        others = [other.name for other in people if other is not someone]
        eventually(
            someone.page,
            lambda s=someone, o=others: all(s.page.evaluate(TILE_WIDTH, n) > 0 for n in o),
            timeout=MEDIA_MS * 3,
            message=f"{someone.name} does not show all of {others}",
        )
        # Three receiving connections, each decoding, and decoding goes on.
        eventually(
            someone.page,
            lambda s=someone: s.page.evaluate(DECODING_PEERS) >= 3,
            timeout=MEDIA_MS,
            message=f"{someone.name} decodes fewer than 3 streams",
        )
        first = someone.page.evaluate(FRAMES_DECODED)
        eventually(
            someone.page,
            lambda s=someone, f=first: s.page.evaluate(FRAMES_DECODED) > f,
            timeout=MEDIA_MS,
        )


def test_a_denied_camera_still_completes_the_show(browsers, server):
    denied = Browsers(browsers.browser.no_camera, server.url)
    try:
        context = denied.phone()
        context.add_init_script(script=RECORDER)
        page = context.new_page()
        host = Person(page, unique("hana"), "김하나")
        sign_up(page, host.username, host.name)
        bora = phone(browsers, "bora", "이보라")
        room = open_room(host, "카메라 없는 쇼", capacity=2)
        join(bora, room)
        on_room_page(host, room)
        on_room_page(bora, room)
        host.stage.get_by_role("button", name="Start the show").click()
        host.page.get_by_role("button", name="Turn on camera").click()
        expect(host.page.locator("#video-status")).to_contain_text("Camera access was blocked")
        # The show goes on: the turn ends, is scored and the results appear.
        host.stage.get_by_role("button", name="End the turn").click()
        score_button(bora, 9).click()
        nominate(host, bora)
        bora.stage.get_by_role("button", name="End the turn").click()
        score_button(host, 8).click()
        expect(host.stage).to_contain_text("Results", timeout=LIVE_MS)
        expect(bora.stage).to_contain_text("Results", timeout=LIVE_MS)
        # The denied camera is an expected failure, not a browser error.
        assert [p for p in denied.problems if "Permission" not in p] == []
    finally:
        denied.close()
