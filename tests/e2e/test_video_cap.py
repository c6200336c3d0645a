"""The peer-to-peer viewer cap in real Chromium: past it a viewer reads why, the show goes on.

Runs inside the loopback-only namespace with the other video tests
(tests/e2e/test_video_netns.py), against a server of its own whose cap is one viewer.
"""

from __future__ import annotations

import os
import shutil
import tempfile

import pytest
from playwright.sync_api import expect

from tests.e2e.show import LIVE_MS, join, open_room, score_button
from tests.e2e.support import eventually
from tests.e2e.test_video import (
    FRAMES_DECODED,
    TILE_WIDTH,
    camera_on,
    chromium,  # noqa: F401  (the loopback-enabled Chromium fixture)
    on_room_page,
    phone,
)
from tests.support.live_server import LiveServer

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.video,
    pytest.mark.skipif(
        os.environ.get("ENCORE_VIDEO_NETNS") != "1",
        reason="runs inside a loopback-only network namespace (tests/e2e/test_video_netns.py)",
    ),
]

MEDIA_MS = 20_000
FULL = "Video for this many people needs the media server"


@pytest.fixture(scope="module")
def server(database):
    """An Encore server whose performer sends to one viewer at most."""
    from tests.conftest import REDIS_PREFIX

    instance = tempfile.mkdtemp(prefix="encore-cap-e2e-")
    live = LiveServer(
        database.url,
        redis_url=os.environ.get("TEST_REDIS_URL_RESOLVED"),
        prefix=REDIS_PREFIX,
        instance_path=instance,
        extra_env={"VIDEO_P2P_MAX_VIEWERS": "1"},
    ).start()
    yield live
    live.stop()
    shutil.rmtree(instance, ignore_errors=True)


@pytest.mark.timeout(600)
def test_the_viewer_past_the_cap_reads_why_and_the_show_goes_on(browsers):
    host = phone(browsers, "hana", "김하나")
    bora = phone(browsers, "bora", "이보라")
    chan = phone(browsers, "chan", "박찬")
    room = open_room(host, "한 명만 보는 무대")
    for guest in (bora, chan):
        join(guest, room)
    for someone in (host, bora, chan):
        on_room_page(someone, room)
    host.page.get_by_label("Who performs first?").select_option(label=f"{host.name} (you)")
    host.stage.get_by_role("button", name="Start the show").click()
    camera_on(host)

    def outcome(viewer) -> str:
        if FULL in (viewer.page.locator("#video-status").text_content() or ""):
            return "full"
        if viewer.page.evaluate(TILE_WIDTH, host.name) > 0:
            return "video"
        return ""

    eventually(
        host.page,
        lambda: sorted(outcome(v) for v in (bora, chan)) == ["full", "video"],
        timeout=MEDIA_MS,
        message="one viewer should see the video and the other the cap message",
    )
    watching = bora if outcome(bora) == "video" else chan
    first = watching.page.evaluate(FRAMES_DECODED)
    eventually(watching.page, lambda: watching.page.evaluate(FRAMES_DECODED) > first)

    # The show goes on for everyone, video or not, to its results.
    host.stage.get_by_role("button", name="End the turn").click()
    score_button(bora, 8).click()
    score_button(chan, 6).click()
    host.page.once("dialog", lambda dialog: dialog.accept())
    host.stage.get_by_role("button", name="Finish the show").click()
    for someone in (host, bora, chan):
        expect(someone.stage).to_contain_text("Results", timeout=LIVE_MS)
