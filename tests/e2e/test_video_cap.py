"""The peer-to-peer viewer cap in real Chromium: past it a viewer reads why, the show goes on.

Runs inside the loopback-only namespace with the other video tests
(tests/e2e/test_video_netns.py), against a server of its own whose cap is one viewer.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.show import LIVE_MS, finish_after_scoring, open_room, score_button
from tests.e2e.support import eventually
from tests.e2e.video_support import (
    FRAMES_DECODED,
    MEDIA_MS,
    TILE_WIDTH,
    VIDEO_MARKS,
    camera_on,
    cast,
    chromium,  # noqa: F401  (the loopback-enabled Chromium fixture)
    start_show,
    video_server,
)

pytestmark = VIDEO_MARKS

FULL = "Video for this many people needs the media server"


@pytest.fixture(scope="module")
def server(database):
    """An Encore server whose performer sends to one viewer at most."""
    yield from video_server(database, "encore-cap-e2e-", {"VIDEO_P2P_MAX_VIEWERS": "1"})


@pytest.mark.timeout(600)
def test_the_viewer_past_the_cap_reads_why_and_the_show_goes_on(browsers):
    host, bora, chan = people = cast(browsers, "hana", "bora", "chan")
    room = open_room(host, "한 명만 보는 무대")
    start_show(people, room, host_first=True)
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
    finish_after_scoring(host)
    for someone in (host, bora, chan):
        expect(someone.stage).to_contain_text("Results", timeout=LIVE_MS)
