"""The show for people who use a screen reader or only a keyboard."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.audits import announced, remember_live_regions, tab_to
from tests.e2e.show import LIVE_MS, Person, connected, join, member, open_room, person
from tests.e2e.support import eventually, sign_up, unique

pytestmark = pytest.mark.e2e


def test_stage_updates_are_announced_through_a_live_region(browsers):
    host = person(browsers, "hana", "김하나")
    guest = person(browsers, "bora", "이보라")
    room = open_room(host, "들리는 무대", capacity=2)
    connected(host)
    join(guest, room)
    connected(guest)
    expect(member(host, guest.name)).to_be_visible(timeout=LIVE_MS)

    remember_live_regions(guest.page)
    host.stage.get_by_role("button", name="Start the show").click()
    expect(guest.stage).to_contain_text("On air", timeout=LIVE_MS)
    eventually(
        guest.page,
        lambda: announced(guest.page, "On air"),
        timeout=LIVE_MS,
        message="the stage went on air, but not inside a live region that was already there",
    )

    remember_live_regions(host.page)
    host.stage.get_by_role("button", name="End the turn").click()
    expect(guest.stage.get_by_role("group", name=f"Your score for {host.name}")).to_be_visible(
        timeout=LIVE_MS
    )
    remember_live_regions(guest.page)
    guest.stage.get_by_role("button", name="9", exact=True).click()
    expect(host.stage).to_contain_text("Average 9.00", timeout=LIVE_MS)
    eventually(
        host.page,
        lambda: announced(host.page, "Average 9.00"),
        timeout=LIVE_MS,
        message="the average arrived, but not inside a live region that was already there",
    )


def keyboard_person(browsers, prefix: str, name: str) -> Person:
    """A desktop with a keyboard and no mouse, signed up."""
    page = browsers.desktop().new_page()
    username = unique(prefix)
    sign_up(page, username, name)
    return Person(page, username, name)


def press(someone: Person, target) -> None:
    """Reach `target` with Tab and press Enter on it."""
    tab_to(someone.page, target)
    someone.page.keyboard.press("Enter")


def test_whole_show_with_the_keyboard_only(browsers):
    host = keyboard_person(browsers, "kbhost", "건반 호스트")
    guest = keyboard_person(browsers, "kbguest", "건반 손님")

    # Open a room: type into each field, reach the submit button with Tab, press Enter.
    page = host.page
    page.goto("/rooms/new")
    tab_to(page, page.get_by_label("Title"))
    page.keyboard.type("키보드 쇼")
    tab_to(page, page.get_by_label("Seats"))
    page.keyboard.press("Control+A")
    page.keyboard.type("2")
    press(host, page.get_by_role("button", name="Open the room"))
    expect(page.get_by_role("heading", level=1, name="키보드 쇼")).to_be_visible()
    room = page.url
    connected(host)

    guest.page.goto(room)
    press(guest, guest.stage.get_by_role("button", name="Join this room"))
    expect(guest.stage).to_contain_text("Waiting for the host")
    connected(guest)
    expect(member(host, guest.name)).to_be_visible(timeout=LIVE_MS)

    press(host, host.stage.get_by_role("button", name="Start the show"))
    expect(guest.stage).to_contain_text("On air", timeout=LIVE_MS)
    press(guest, guest.stage.get_by_role("button", name="Clap"))
    expect(host.page.locator('#reactions [data-count="clap"]')).to_have_text("1", timeout=LIVE_MS)
    press(host, host.stage.get_by_role("button", name="End the turn"))

    press(guest, guest.stage.get_by_role("button", name="7", exact=True))
    # Nobody nominated yet: the host picks the next performer with the keyboard.
    nominee = host.page.get_by_label("Nominate who goes next")
    expect(nominee).to_be_visible(timeout=LIVE_MS)
    tab_to(host.page, nominee)
    expect(nominee).to_have_value(str(guest_id(host, guest)))
    press(host, host.stage.get_by_role("button", name="Nominate", exact=True))
    expect(member(guest, guest.name)).to_contain_text("On air", timeout=LIVE_MS)

    press(guest, guest.stage.get_by_role("button", name="End the turn"))
    press(host, host.stage.get_by_role("button", name="8", exact=True))
    for someone in (host, guest):
        expect(someone.page.get_by_role("list", name="Podium")).to_be_visible(timeout=LIVE_MS)
    expect(
        host.page.get_by_role("list", name="Podium").get_by_role("listitem").first
    ).to_contain_text(guest.name)

    # Leaving is keyboard-reachable too (pressing it is tested with the logout itself).
    tab_to(host.page, host.page.get_by_role("button", name="Log out"))


def guest_id(host: Person, guest: Person) -> str:
    """The user id of `guest`, read from the member list the host sees."""
    return member(host, guest.name).get_attribute("data-user-id")
