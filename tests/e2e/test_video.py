"""Live video in real Chromium with fake cameras, through the real pages (peer to peer).

These run only inside a network namespace that has nothing but loopback, so no media can
leave the machine: tests/e2e/test_video_netns.py re-runs this file under `unshare -n` with
ENCORE_VIDEO_NETNS=1 and the embedded defaults (SQLite, no Redis). Run on their own they
skip.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.show import (
    LIVE_MS,
    Person,
    finish_after_scoring,
    join,
    nominate,
    open_room,
    score_button,
)
from tests.e2e.support import Browsers, eventually, sign_up, unique
from tests.e2e.video_support import (
    CAMERA_TRACKS_LIVE,
    FAIL_ICE,
    MEDIA_MS,
    RECORDER,
    REMOTE_UFRAG,
    TILE_WIDTH,
    VIDEO_MARKS,
    camera_on,
    camera_stopped,
    cast,
    chromium,  # noqa: F401  (the loopback-enabled Chromium fixture)
    decodes_from,
    everyone_decodes_everyone,
    on_room_page,
    open_everyone_room,
    phone,
    start_show,
)

pytestmark = VIDEO_MARKS


def test_stage_video_on_three_phones_follows_the_turn(browsers):
    host, bora, chan = people = cast(browsers, "hana", "bora", "chan")
    room = open_room(host, "영상 노래방")
    start_show(people, room, host_first=True)

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
    host, bora = people = cast(browsers, "hana", "bora")
    room = open_room(host, "관객이 보는 무대", capacity=2)
    start_show(people, room)
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
    host, bora = people = cast(browsers, "hana", "bora")
    room = open_room(host, "떠나는 무대", capacity=2)
    start_show(people, room)
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
    host, bora = people = cast(browsers, "hana", "bora")
    room = open_room(host, "다시 연결", capacity=2)
    start_show(people, room)
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
    people = cast(browsers, "hana", "bora", "chan", "dami")
    host = people[0]
    room = open_everyone_room(host, "다 같이 카메라", 4)
    start_show(people, room)
    for someone in people:
        camera_on(someone)
    everyone_decodes_everyone(people)


@pytest.mark.timeout(600)
def test_an_ice_failure_restarts_once_then_says_so(browsers):
    host, bora = people = cast(browsers, "hana", "bora")
    room = open_room(host, "다시 시도하는 무대", capacity=2)
    start_show(people, room)
    camera_on(host)
    decodes_from(bora.page, host)
    # The viewer records the offers that reach it over its real socket from now on.
    bora.page.evaluate(
        "() => { window.__offers = [];"
        " window.encoreSocket.on('rtc:offer', (p) => window.__offers.push(p.sdp)); }"
    )
    before = bora.page.evaluate(REMOTE_UFRAG, False)
    connections = bora.page.evaluate("() => window.__pcs.length")
    assert before

    # The performer's sending connection fails: it offers again with an ICE restart (new
    # ICE credentials on the same connection), and the video goes on.
    assert host.page.evaluate(FAIL_ICE, True)
    eventually(bora.page, lambda: bora.page.evaluate("() => window.__offers.length") >= 1)
    offer = bora.page.evaluate("() => window.__offers[0]")
    assert "a=ice-ufrag:" + before not in offer, "the new offer did not restart ICE"
    eventually(
        bora.page,
        lambda: bora.page.evaluate(REMOTE_UFRAG, False) not in ("", before),
        message="the viewer never took the restarted offer",
    )
    assert bora.page.evaluate("() => window.__pcs.length") == connections
    decodes_from(bora.page, host)
    expect(bora.page.locator("#video-status")).not_to_contain_text("connection failed")

    # A second failure is not retried: the viewer reads what happened, the show goes on.
    assert host.page.evaluate(FAIL_ICE, True)
    expect(bora.page.locator("#video-status")).to_contain_text(
        "The video connection failed, even after a retry", timeout=LIVE_MS
    )
    eventually(bora.page, lambda: bora.page.evaluate(TILE_WIDTH, host.name) == 0)
    host.stage.get_by_role("button", name="End the turn").click()
    score_button(bora, 9).click()
    finish_after_scoring(host)
    expect(bora.stage).to_contain_text("Results", timeout=LIVE_MS)


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
