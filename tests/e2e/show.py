"""What people do in a room, in a real browser: the steps the show tests share.

Locators go by role and label where the markup gives one, and by the ids and data
attributes the room templates expose (`#stage`, `#reactions`, `data-count`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from playwright.sync_api import Locator, Page, Request, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.e2e.support import Browsers, sign_up, unique

# Every step must reach the other browsers without a reload, within this bound. It stays
# under the 5 s refresh a page without JavaScript needs, so only a live push can meet it;
# 4 s rather than 2 s because three browsers, PostgreSQL and the server share two cores.
LIVE_MS = 4000
# A browser without JavaScript sees a step after its next automatic refresh (every 5 s).
REFRESH_MS = 8000
ROOM_URL = re.compile(r"/rooms/(\d+)$")
# A click sends its step (a join, a score) at once; one that sent nothing in this long was
# lost to a redraw.
STEP_SENT_MS = 5000
STEP_CLICKS = 3


@dataclass
class Person:
    """One phone in the show: its page, username and display name."""

    page: Page
    username: str
    name: str
    javascript: bool = True

    @property
    def stage(self) -> Locator:
        """The stage section of the room page (without JavaScript, inside the stage frame
        a lobby or live room page holds; a finished room page has it inline)."""
        if not self.javascript and self.page.locator("#stage-frame").count():
            return self.page.frame_locator("#stage-frame").locator("#stage")
        return self.page.locator("#stage")

    @property
    def wait_ms(self) -> int:
        """How long another person's step may take to show up here."""
        return LIVE_MS if self.javascript else REFRESH_MS


def person(browsers: Browsers, prefix: str, name: str, *, javascript: bool = True) -> Person:
    """Open a phone, sign up and return the person holding it."""
    page = browsers.phone(javascript=javascript).new_page()
    username = unique(prefix)
    sign_up(page, username, name)
    return Person(page, username, name, javascript)


def open_room(host: Person, title: str, *, capacity: int = 3, mode: str = "Ranked") -> str:
    """Create a room through the form; return its path."""
    page = host.page
    page.goto("/rooms/new")
    page.get_by_label("Title").fill(title)
    page.get_by_label("Description").fill("휴대폰으로 하는 노래 대결")
    page.get_by_label("Category").select_option("karaoke")
    page.get_by_role("radio", name=re.compile("^" + mode)).check()
    page.get_by_label("Seats").fill(str(capacity))
    page.get_by_role("button", name="Open the room").click()
    expect(page).to_have_url(ROOM_URL)
    expect(page.get_by_role("heading", level=1, name=title)).to_be_visible()
    expect(host.stage).to_contain_text("Lobby")
    return "/rooms/" + ROOM_URL.search(page.url).group(1)


def join(guest: Person, room: str) -> None:
    """Open the room page and take a seat.

    Waits for the join's own response as well as the seated stage: the room's live push
    can show the seat first, and a step that then leaves the page would abort the POST.
    (The response, not the request's end: the answer sends the page to the room, and that
    navigation can start before Chromium marks the request finished.)
    """
    guest.page.goto(room)
    button = guest.stage.get_by_role("button", name="Join this room")
    click_until_sent(guest, button, "/join")
    expect(guest.stage).to_contain_text("Waiting for the host")


def click_until_sent(someone: Person, button: Locator, path_end: str) -> None:
    """Click `button` until the click sends its POST to a URL ending in `path_end`, and
    wait for that POST's answer.

    A live push can redraw the stage between a click's press and release, so the click
    lands on no button and sends nothing; the new button is clicked again then. Only a
    click that sent nothing is repeated: a second join or score would be refused.
    """

    def is_step(request: Request) -> bool:
        return request.method == "POST" and request.url.endswith(path_end)

    for _ in range(STEP_CLICKS):
        try:
            with someone.page.expect_request(is_step, timeout=STEP_SENT_MS) as sent:
                button.click()
        except PlaywrightTimeoutError:
            continue
        assert sent.value.response() is not None, f"the POST to …{path_end} got no answer"
        return
    raise AssertionError(f"no click sent the POST to …{path_end} ({STEP_CLICKS} tries)")


def score(someone: Person, value: int) -> None:
    """Score `value` for the performer, once the stage has settled, and wait for the
    answer (a redraw that swallows the tap is tapped again)."""
    settled(someone)
    click_until_sent(someone, score_button(someone, value), "/score")


def connected(someone: Person) -> None:
    """Wait until the page's live connection is up (phones with JavaScript only)."""
    if someone.javascript:
        expect(someone.page.locator("body.is-connected")).to_have_count(1)


def member(someone: Person, name: str) -> Locator:
    """The row of `name` in the room's member list as `someone` sees it."""
    return someone.stage.locator(".member", has_text=name)


def sees(others: list[Person], text: str | re.Pattern) -> None:
    """Everyone in `others` sees `text` on the stage, each within their allowed time."""
    for other in others:
        expect(other.stage).to_contain_text(text, timeout=other.wait_ms)


def score_button(someone: Person, value: int) -> Locator:
    """The button that scores `value`."""
    return someone.stage.get_by_role("button", name=str(value), exact=True)


def reaction_count(someone: Person, kind: str) -> Locator:
    """The number next to a reaction on `someone`'s stage."""
    return someone.stage.locator(f'#reactions [data-count="{kind}"]').first


def settled(someone: Person) -> None:
    """Wait until no stage request of `someone`'s page is in flight.

    A step's answer and the live refresh its own push starts can both swap the stage; a
    tap that lands between two swaps presses a button that is gone. htmx marks the element
    whose request is in flight with `htmx-request`, so none left means no swap is coming.
    """
    if someone.javascript:
        busy = someone.page.locator("#stage-region.htmx-request, #stage-region .htmx-request")
        expect(busy).to_have_count(0)


def finish_after_scoring(host: Person) -> None:
    """The host finishes the show early, confirming the question, once the turn just scored
    has closed on the host's own stage.

    The last score pushes a refresh that redraws the host's stage; a tap on the button it
    replaces is lost without a request, and the show never finishes.
    """
    expect(host.stage).to_contain_text("Scoring closed", timeout=host.wait_ms)
    settled(host)
    host.page.once("dialog", lambda dialog: dialog.accept())
    host.stage.get_by_role("button", name="Finish the show").click()


def nominate(someone: Person, nominee: Person) -> None:
    """Pick who goes next, and wait until the nominator's own stage says so: "Next up"
    while a turn is still on air or being scored, or the nominee on air at once when
    scoring had already closed."""
    # The step before (often this person's own "End the turn") may still be swapping the
    # stage; a choice made in the form it replaces would be lost.
    settled(someone)
    someone.stage.get_by_label("Nominate who goes next").select_option(label=nominee.name)
    someone.stage.get_by_role("button", name="Nominate", exact=True).click()
    next_up = someone.stage.locator(".stage-next", has_text=f"Next up: {nominee.name}")
    on_air = someone.stage.locator(".stage-performer", has_text=nominee.name)
    expect(next_up.or_(on_air).first).to_be_visible(timeout=someone.wait_ms)
    settled(someone)
