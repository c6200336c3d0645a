"""Live video through the media server: a real Janus from the Debian package, real Chromium.

Like tests/e2e/test_video.py these run only inside the loopback-only network namespace
(tests/e2e/test_video_netns.py runs this file there too). The module starts its own Janus
(tests/support/janus_server.py: token auth on, admin API on, ICE on `lo` only) and its own
Encore server pointed at it with JANUS_URL.
"""

from __future__ import annotations

import secrets

import pytest
from playwright.sync_api import expect

from tests.e2e.janus_support import (
    CREDENTIALS,
    INTRUDE,
    KICKED,
    janus_post,
    join_as,
    publishers,
    room_exists,
)
from tests.e2e.show import LIVE_MS, nominate, open_room, score_button
from tests.e2e.support import eventually
from tests.e2e.video_support import (
    CAMERA_TRACKS_LIVE,
    FAIL_ICE,
    PEERS,
    REMOTE_UFRAG,
    TILE_BOX,
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
    video_server,
)
from tests.support.janus_server import JanusServer
from tests.support.live_server import WebUser

pytestmark = VIDEO_MARKS


@pytest.fixture(scope="module")
def janus():
    """Janus from the Debian package, with a config folder of its own."""
    server = JanusServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def server(database, janus):
    """An Encore server whose video goes through the module's Janus."""
    yield from video_server(database, "encore-janus-e2e-", janus.settings())


def decodes_via(janus: JanusServer, viewer, performer) -> None:
    """decodes_from, with what Janus and the page saw when it does not."""
    try:
        decodes_from(viewer.page, performer)
    except AssertionError as error:
        seen = viewer.page.evaluate(PEERS)
        raise AssertionError(f"{error}\npeers: {seen}\njanus:\n{janus.log_tail()}") from None


@pytest.mark.timeout(900)
def test_stage_video_through_janus_on_three_phones(browsers, janus):
    host, bora, chan = people = cast(browsers, "hana", "bora", "chan")
    room = open_room(host, "미디어 서버 무대")
    start_show(people, room, host_first=True)
    assert host.page.locator("#video-stage").get_attribute("data-topology") == "janus"

    # One publisher, two subscribers through Janus.
    camera_on(host)
    for viewer in (bora, chan):
        decodes_via(janus, viewer, host)
        expect(viewer.page.get_by_role("button", name="Tap for sound")).to_be_visible()

    # The turn passes: the host's tracks stop, the next performer replaces the stream.
    nominate(host, bora)
    host.stage.get_by_role("button", name="End the turn").click()
    camera_stopped(host)
    for viewer in (bora, chan):
        expect(viewer.page.locator("#video-stage .video-tile")).to_have_count(0, timeout=LIVE_MS)
    score_button(bora, 8).click()
    score_button(chan, 7).click()
    camera_on(bora)
    for viewer in (host, chan):
        decodes_via(janus, viewer, bora)
        assert viewer.page.evaluate(TILE_WIDTH, host.name) == 0
    assert host.page.evaluate(CAMERA_TRACKS_LIVE) == 0

    bora.stage.get_by_role("button", name="End the turn").click()
    camera_stopped(bora)


@pytest.mark.timeout(600)
def test_a_spectator_subscribes_through_janus_and_never_publishes(browsers, janus):
    host, bora = people = cast(browsers, "hana", "bora")
    room = open_room(host, "관객도 보는 미디어 서버", capacity=2)
    start_show(people, room)
    camera_on(host)
    decodes_via(janus, bora, host)
    # Logged in, every seat taken, arriving late: a spectator, who subscribes only.
    dami = phone(browsers, "dami", "최다미")
    on_room_page(dami, room)
    assert dami.page.locator("#video-stage").get_attribute("data-watch-only") == "true"
    decodes_via(janus, dami, host)
    assert dami.page.locator("#video-start").count() == 0
    assert dami.page.evaluate("() => window.__streams.length") == 0
    senders = dami.page.evaluate(
        "() => window.__pcs.filter((pc) => pc.getSenders().some((s) => s.track)).length"
    )
    assert senders == 0


@pytest.mark.timeout(600)
def test_only_people_in_the_show_get_into_its_janus_room(browsers, server, janus):
    host, bora = people = cast(browsers, "hana", "bora")
    room = open_room(host, "초대받은 사람만", capacity=2)
    start_show(people, room)
    expect(host.page.get_by_role("button", name="Turn on camera")).to_be_visible(timeout=LIVE_MS)

    # A member's credentials work: Janus lets the token in and the pin joins the room.
    mine = host.page.evaluate(CREDENTIALS, room + "/video/janus")
    assert set(mine) >= {"room", "pin", "token", "expires"}, mine
    assert room_exists(janus, mine["room"])
    assert join_as(janus, mine["token"], mine["room"], mine["pin"])["videoroom"] == "joined"

    # A logged-in outsider who is not in the show is refused credentials by Encore…
    outsider = WebUser(server.url).signup("outsider" + secrets.token_hex(3))
    refused = outsider.http.post(
        server.url + room + "/video/janus",
        headers={"X-CSRFToken": outsider.csrf(), "Accept": "application/json"},
        timeout=15,
    )
    assert refused.status_code == 403
    # …and without CSRF the endpoint refuses even a member.
    with browsers.expecting(400):
        no_csrf = host.page.evaluate(
            """async (path) => (await fetch(path, {method: "POST"})).status""",
            room + "/video/janus",
        )
    assert no_csrf == 400

    # Knowing the room id is not enough: Janus refuses no token and a made-up one…
    no_token = janus_post(janus.url, {"janus": "create"})
    assert no_token["janus"] == "error" and no_token["error"]["code"] == 403
    forged = janus_post(janus.url, {"janus": "create", "token": "encore.1.2.3.forged"})
    assert forged["janus"] == "error" and forged["error"]["code"] == 403
    # …and a real token without the room's pin does not join it.
    answer = join_as(janus, mine["token"], mine["room"], None)
    assert answer.get("videoroom") != "joined" and answer.get("error_code"), answer
    answer = join_as(janus, mine["token"], mine["room"], "wrong-pin")
    assert answer.get("videoroom") != "joined" and answer.get("error_code"), answer

    # The show ends: the VideoRoom is destroyed and the token no longer opens Janus. The
    # pages' last long polls on their torn-down sessions may meet 403 (token gone).
    with browsers.expecting(403):
        host.stage.get_by_role("button", name="End the turn").click()
        score_button(bora, 9).click()
        nominate(host, bora)
        bora.stage.get_by_role("button", name="End the turn").click()
        score_button(host, 8).click()
        expect(host.stage).to_contain_text("Results", timeout=LIVE_MS)
    # The clean-up runs after the commit that ended the show, so the result may show first.
    eventually(
        host.page,
        lambda: not room_exists(janus, mine["room"]),
        timeout=LIVE_MS,
        message="the VideoRoom outlived the show",
    )
    eventually(
        host.page,
        lambda: (
            janus_post(janus.url, {"janus": "create", "token": mine["token"]})["janus"] == "error"
        ),
        timeout=LIVE_MS,
        message="the token still opens Janus after the show",
    )
    with browsers.expecting(403):
        gone = bora.page.evaluate(CREDENTIALS, room + "/video/janus")
    assert gone == {"status": 403}


@pytest.mark.timeout(900)
def test_only_the_performer_reaches_viewers_and_intruders_are_kicked(browsers, janus):
    host, bora, chan = people = cast(browsers, "hana", "bora", "chan")
    room = open_room(host, "무대는 한 사람만")
    start_show(people, room, host_first=True)
    expect(host.page.get_by_role("button", name="Turn on camera")).to_be_visible(timeout=LIVE_MS)

    # Bora is a member but not on air: with her own valid credentials she publishes first
    # and takes the stage room's only publisher slot.
    taken = bora.page.evaluate(INTRUDE, room + "/video/janus")
    assert "id" in taken, taken
    janus_room = taken["creds"]["room"]
    host_feed = taken["creds"]["feeds"][str(host_id(host))]
    assert taken["creds"]["publisher_id"] == 0 and taken["id"] != host_feed
    # Janus counts a publisher once its media is up, a moment after the answer.
    eventually(bora.page, lambda: publishers(janus, janus_room) == {taken["id"]}, timeout=LIVE_MS)
    # Viewers are told to watch the performer's feed only, so hers shows nowhere.
    chan.page.wait_for_timeout(1500)
    assert chan.page.locator("#video-stage .video-tile").count() == 0

    # The performer's publish is refused (slot taken); the page asks again, Encore kicks
    # the intruder, and the performer is on stage for everyone.
    camera_on(host)
    for viewer in (chan, bora):
        decodes_via(janus, viewer, host)
        assert viewer.page.locator("#video-stage .video-tile").count() == 1
    eventually(bora.page, lambda: bora.page.evaluate(KICKED), message="the intruder stayed")
    eventually(host.page, lambda: publishers(janus, janus_room) == {host_feed})

    # Off air (scoring) nobody may publish; Chan intrudes now, and when Bora's turn goes on
    # air the change kicks him before Bora even turns her camera on.
    nominate(host, bora)
    host.stage.get_by_role("button", name="End the turn").click()
    camera_stopped(host)
    eventually(host.page, lambda: publishers(janus, janus_room) == set())
    intruder = chan.page.evaluate(INTRUDE, room + "/video/janus")
    assert "id" in intruder, intruder
    eventually(
        chan.page, lambda: publishers(janus, janus_room) == {intruder["id"]}, timeout=LIVE_MS
    )
    score_button(bora, 8).click()
    score_button(chan, 7).click()
    expect(bora.page.get_by_role("button", name="Turn on camera")).to_be_visible(timeout=LIVE_MS)
    eventually(chan.page, lambda: chan.page.evaluate(KICKED), message="Chan was not kicked")
    eventually(host.page, lambda: publishers(janus, janus_room) == set())
    camera_on(bora)
    decodes_via(janus, host, bora)
    assert host.page.locator("#video-stage .video-tile").count() == 1


def host_id(someone) -> int:
    """The signed-in user's id, as the video state tells it."""
    return int(someone.page.locator("#video-stage").get_attribute("data-viewer-id") or 0)


@pytest.mark.timeout(900)
def test_everyone_mode_through_janus_with_four_phones(browsers, janus):
    people = cast(browsers, "hana", "bora", "chan", "dami")
    host = people[0]
    room = open_everyone_room(host, "미디어 서버 갤러리", 4)
    start_show(people, room)
    assert host.page.locator("#video-stage").get_attribute("data-topology") == "janus"
    for someone in people:
        camera_on(someone)
    everyone_decodes_everyone(people)
    # The performer on air (the host) is large; everyone else is a gallery tile.
    for someone in people[1:]:
        assert someone.page.evaluate(TILE_BOX, host.name) == "main"
        others = [o for o in people[1:] if o is not someone]
        assert all(someone.page.evaluate(TILE_BOX, o.name) == "gallery" for o in others)


@pytest.mark.timeout(600)
def test_janus_ice_failures_restart_once_then_say_so(browsers, janus):
    host, bora = people = cast(browsers, "hana", "bora")
    room = open_room(host, "다시 잇는 미디어 서버", capacity=2)
    start_show(people, room)
    camera_on(host)
    decodes_via(janus, bora, host)

    # The publisher's connection fails: a new offer with an ICE restart (`configure`),
    # Janus answers with new ICE credentials, and the viewer keeps decoding.
    sending = host.page.evaluate(REMOTE_UFRAG, True)
    assert sending and host.page.evaluate(FAIL_ICE, True)
    eventually(
        host.page,
        lambda: host.page.evaluate(REMOTE_UFRAG, True) not in ("", sending),
        timeout=LIVE_MS,
        message="the publisher did not restart ICE",
    )
    decodes_via(janus, bora, host)

    # A subscriber's connection fails: `configure` with `restart`, Janus offers anew with
    # new ICE credentials on the same connection, and decoding goes on.
    receiving = bora.page.evaluate(REMOTE_UFRAG, False)
    connections = bora.page.evaluate("() => window.__pcs.length")
    assert receiving and bora.page.evaluate(FAIL_ICE, False)
    eventually(
        bora.page,
        lambda: bora.page.evaluate(REMOTE_UFRAG, False) not in ("", receiving),
        timeout=LIVE_MS,
        message="the subscriber did not restart ICE",
    )
    assert bora.page.evaluate("() => window.__pcs.length") == connections
    decodes_via(janus, bora, host)

    # Second failures are not retried: each side says so in plain words.
    failed = "The video connection failed, even after a retry"
    assert bora.page.evaluate(FAIL_ICE, False)
    expect(bora.page.locator("#video-status")).to_contain_text(failed, timeout=LIVE_MS)
    assert host.page.evaluate(FAIL_ICE, True)
    expect(host.page.locator("#video-status")).to_contain_text(failed, timeout=LIVE_MS)
