"""Errors people meet in a browser: a clear message, the right status, nothing half-done."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.audits import audit
from tests.e2e.support import PASSWORD, sign_up, unique
from tests.support.live_server import WebUser

pytestmark = pytest.mark.e2e


def full_room(server) -> str:
    """A two-seat room that fills up while a visitor is looking at its Join button."""
    host = WebUser(server.url).signup(unique("host"), "호스트", PASSWORD)
    response = host.post(
        "/rooms/",
        {
            "title": "두 자리 방",
            "description": "",
            "category": "talent",
            "mode": "casual",
            "capacity": "2",
        },
    )
    assert response.status_code == 303, response.text[:300]
    return "/rooms/" + re.search(r"/rooms/(\d+)", response.headers["Location"]).group(1)


def someone_fast(server) -> WebUser:
    """Someone else, signed up and ready to take the last seat first."""
    return WebUser(server.url).signup(unique("fast"), "빠른 사람", PASSWORD)


@pytest.mark.parametrize("javascript", [True, False], ids=["htmx", "no-js"])
def test_joining_a_room_that_just_filled_up(browsers, server, javascript):
    page = browsers.phone(javascript=javascript).new_page()
    sign_up(page, unique("late"), "늦은 사람")
    room = full_room(server)
    fast = someone_fast(server)
    page.goto(room)
    # Without JavaScript the stage (and its Join button) lives in a frame that reloads
    # itself every few seconds (docs/show-rules.md).
    stage = page if javascript else page.frame_locator("#stage-frame")
    join = stage.get_by_role("button", name="Join this room")
    expect(join).to_be_visible()
    if not javascript:
        # Just after the frame reloads, its Join button stays on screen for the next few
        # seconds: long enough for the seat to go and the stale button to be tapped.
        with page.expect_event("framenavigated"):
            pass
        expect(join).to_be_visible()
    assert fast.post(f"{room}/join").status_code == 303

    if javascript:
        # Second edition: a spectator's page follows the stage live, so the seat going
        # away replaces the Join button with the reason before anyone can tap it.
        expect(page.locator("#stage")).to_contain_text("This room is full.", timeout=5000)
        expect(join).to_have_count(0)
        expect(page).to_have_url(re.compile(re.escape(room) + "$"))
    else:
        with browsers.expecting(409):
            join.click()
            expect(page.get_by_role("heading", level=1)).to_have_text(
                "That clashes with what is happening"
            )
            expect(page.get_by_text("This room is full.")).to_be_visible()
            audit(browsers, page, "error-409")
    # Nothing was written: a fresh look at the room shows it full, without this person.
    page.goto(room)
    expect(page.locator("#stage")).to_contain_text("This room is full.")
    expect(page.locator("#stage .member", has_text="늦은 사람")).to_have_count(0)


def test_missing_room_and_login_that_returns_where_you_were(browsers):
    page = browsers.phone().new_page()
    with browsers.expecting(404):
        response = page.goto("/rooms/987654")
        assert response is not None and response.status == 404
        expect(page.get_by_role("heading", name="Not found")).to_be_visible()

    # A visitor who wants to open a room is asked to log in, then lands on the form.
    username = unique("next")
    WebUser(browsers.base_url).signup(username, "다음 사람", PASSWORD)
    page.goto("/rooms/new")
    expect(page).to_have_url(re.compile(r"/auth/login\?next="))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/rooms/new$"))
    expect(page.get_by_label("Title")).to_be_visible()
