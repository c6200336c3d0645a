"""Key pages at phone and desktop widths: axe-core, a screenshot each, no sideways scroll.

The data behind the pages is made over plain HTTP (the same forms, sent with `requests`),
so these tests spend their time in the browser on what they check.
"""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.audits import audit
from tests.e2e.support import PASSWORD, Browsers, unique
from tests.support.live_server import WebUser

pytestmark = pytest.mark.e2e

KINDS = ("phone", "desktop")


def member(server, prefix: str, name: str) -> WebUser:
    """A user signed up over HTTP (remembering the username)."""
    username = unique(prefix)
    user = WebUser(server.url).signup(username, name, PASSWORD)
    user.username = username
    return user


def browser_as(browsers: Browsers, kind: str, user: WebUser) -> Page:
    """A page in a new phone or desktop context that shares `user`'s login session."""
    context: BrowserContext = getattr(browsers, kind)()
    context.add_cookies(
        [{"name": c.name, "value": c.value, "url": browsers.base_url} for c in user.http.cookies]
    )
    return context.new_page()


def visit(page: Page, path: str) -> None:
    """Open `path` as a member and wait until the page has settled."""
    response = page.goto(path)
    assert response is not None and response.status == 200, (
        f"{path}: {response and response.status}"
    )
    # Pages of members settle once the live connection is up (app.js marks the body).
    expect(page.locator("body.is-connected")).to_have_count(1)


def posted(response, *, status: int = 303) -> str:
    """Check a form post was accepted; return where it redirects."""
    main = response.text.partition("<main")[2][:800] or response.text[:800]
    assert response.status_code == status, main
    return response.headers.get("Location", "")


@pytest.fixture
def show(server):
    """A host and a guest in a fresh ranked room (still in the lobby)."""
    host = member(server, "hana", "김하나")
    guest = member(server, "bora", "이보라")
    location = posted(
        host.post(
            "/rooms/",
            {
                "title": "금요일 밤 노래방",
                "description": "휴대폰으로 하는 노래 대결. Bring your best ballad!",
                "category": "karaoke",
                "mode": "ranked",
                "capacity": "6",
            },
        )
    )
    room = "/rooms/" + re.search(r"/rooms/(\d+)", location).group(1)
    posted(guest.post(f"{room}/join"))
    return host, guest, room


def test_rooms_list_and_new_room_form(browsers, show):
    host, _guest, _room = show
    for kind in KINDS:
        page = browser_as(browsers, kind, host)
        visit(page, "/rooms/")
        expect(page.get_by_role("link", name="금요일 밤 노래방").first).to_be_visible()
        audit(browsers, page, "rooms")
        visit(page, "/rooms/new")
        expect(page.get_by_label("Title")).to_be_visible()
        audit(browsers, page, "room-new")


def advance(host: WebUser, guest: WebUser, room: str, phase: str) -> None:
    """Bring the room from its lobby to `phase`, through the show's own forms."""
    if phase == "lobby":
        return
    posted(host.post(f"{room}/start"))
    if phase == "on-air":
        return
    posted(host.post(f"{room}/end-turn"))
    if phase == "scoring":
        return
    posted(guest.post(f"{room}/score", {"value": "8"}))
    posted(host.post(f"{room}/finish"))


@pytest.mark.parametrize(
    ("phase", "expected"),
    [
        ("lobby", "Lobby"),
        ("on-air", "On air"),
        ("scoring", "Scoring"),
        ("results", "Results"),
    ],
)
def test_room_page_in_each_phase(browsers, show, phase, expected):
    host, guest, room = show
    advance(host, guest, room, phase)
    # While scoring, the guest's view is the interesting one: the score buttons.
    viewer = guest if phase == "scoring" else host
    for kind in KINDS:
        page = browser_as(browsers, kind, viewer)
        visit(page, room)
        expect(page.locator("#stage")).to_contain_text(expected)
        audit(browsers, page, f"room-{phase}")
        if phase == "on-air":
            visit(page, "/rooms/")
            # Earlier tests opened rooms with the same title: find this one by its id.
            card = page.locator(f'.room-card[data-room-id="{room.rsplit("/", 1)[1]}"]')
            expect(card).to_contain_text("Live")
            audit(browsers, page, "rooms-live")


def test_profile_and_people(browsers, show):
    host, guest, _room = show
    for kind in KINDS:
        page = browser_as(browsers, kind, host)
        visit(page, f"/users/{host.username}")
        expect(page.get_by_role("heading", level=1, name="김하나")).to_be_visible()
        audit(browsers, page, "profile")
        visit(page, f"/users/{guest.username}")
        expect(page.get_by_role("heading", level=1, name="이보라")).to_be_visible()
        follow = page.get_by_role("button", name=re.compile(r"^Follow"))
        unfollow = page.get_by_role("button", name=re.compile(r"^Following"))
        if kind == "phone":
            follow.click()
            expect(unfollow).to_be_visible()
            expect(unfollow).to_have_attribute("aria-pressed", "true")
        audit(browsers, page, "profile-other")


def test_leaderboard(browsers, show):
    host, guest, room = show
    posted(host.post(f"{room}/start"))
    posted(host.post(f"{room}/end-turn"))
    posted(guest.post(f"{room}/score", {"value": "9"}))
    posted(host.post(f"{room}/finish"))
    for kind in KINDS:
        page = browser_as(browsers, kind, guest)
        visit(page, "/leaderboard")
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        audit(browsers, page, "leaderboard")


def test_chats(browsers, show):
    host, guest, _room = show
    conversation = posted(host.post("/chats/direct", {"username": guest.username}))
    path = re.search(r"/chats/\d+", conversation).group(0)
    for n, body in enumerate(("오늘 밤 8시 쇼 어때?", "좋아! See you on stage.", "🎤"), start=1):
        sender = host if n % 2 else guest
        posted(sender.post(f"{path}/messages", {"body": body, "client_id": str(uuid.uuid4())}))
    for kind in KINDS:
        page = browser_as(browsers, kind, guest)
        visit(page, "/chats/")
        expect(page.get_by_role("link", name=re.compile("김하나"))).to_be_visible()
        audit(browsers, page, "chats")
        visit(page, path)
        expect(page.locator("li[data-seq]")).to_have_count(3)
        audit(browsers, page, "conversation")
