"""A whole show on three phones: every step reaches the other two within 2 s, without reload."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.audits import screenshot
from tests.e2e.show import (
    LIVE_MS,
    connected,
    join,
    member,
    nominate,
    open_room,
    person,
    reaction_count,
    score,
    sees,
)

pytestmark = pytest.mark.e2e


def test_whole_show_on_three_phones(browsers):
    host = person(browsers, "hana", "김하나")
    bora = person(browsers, "bora", "이보라")
    chan = person(browsers, "chan", "박찬")
    everyone = [host, bora, chan]

    room = open_room(host, "금요일 밤 노래방")
    connected(host)

    # Joining shows up in the lobby of everyone already in the room.
    join(bora, room)
    connected(bora)
    expect(member(host, bora.name)).to_be_visible(timeout=LIVE_MS)
    join(chan, room)
    connected(chan)
    for other in (host, bora):
        expect(member(other, chan.name)).to_be_visible(timeout=LIVE_MS)
    expect(host.stage).to_contain_text("3 of 3 seats taken", timeout=LIVE_MS)
    # A mark in each page's memory: if anything reloads a page, the mark is gone.
    for someone in everyone:
        someone.page.evaluate("() => { window.showMark = 'still the same page'; }")
    screenshot(browsers, host.page, "show-lobby")

    # The host starts; the host is on air first.
    host.page.get_by_label("Who performs first?").select_option(label=f"{host.name} (you)")
    host.stage.get_by_role("button", name="Start the show").click()
    sees([bora, chan], "On air")
    sees([bora, chan], host.name)
    expect(member(bora, host.name)).to_contain_text("On air", timeout=LIVE_MS)

    # Reactions: the counts reach everyone.
    bora.stage.get_by_role("button", name="Clap").click()
    chan.stage.get_by_role("button", name="Mirror ball").click()
    for someone in everyone:
        expect(reaction_count(someone, "clap")).to_have_text("1", timeout=LIVE_MS)
        expect(reaction_count(someone, "mirror_ball")).to_have_text("1", timeout=LIVE_MS)
    screenshot(browsers, chan.page, "show-on-air")

    # The performer ends the turn: the others get the score buttons, the performer nominates.
    host.stage.get_by_role("button", name="End the turn").click()
    for other in (bora, chan):
        expect(other.stage.get_by_role("group", name=f"Your score for {host.name}")).to_be_visible(
            timeout=LIVE_MS
        )
    nominate(host, bora)
    sees([bora, chan], f"Next up: {bora.name}")
    screenshot(browsers, bora.page, "show-scoring")

    score(bora, 8)
    expect(bora.stage).to_contain_text("your score is in")
    sees([host, chan], "1 of 2 scores in")
    expect(member(host, bora.name)).to_contain_text("Scored", timeout=LIVE_MS)
    score(chan, 6)

    # Everyone scored: the average is shown and the nominee is on air, for all three.
    for someone in everyone:
        expect(member(someone, host.name)).to_contain_text("Average 7.00", timeout=LIVE_MS)
        expect(member(someone, bora.name)).to_contain_text("On air", timeout=LIVE_MS)

    # Second turn: 이보라 performs, nominates 박찬, and is scored 9 and 7.
    host.stage.get_by_role("button", name="Clap").click()
    expect(reaction_count(bora, "clap")).to_have_text("1", timeout=LIVE_MS)
    bora.stage.get_by_role("button", name="End the turn").click()
    nominate(bora, chan)
    sees([host, chan], f"Next up: {chan.name}")
    score(host, 9)
    score(chan, 7)
    for someone in everyone:
        expect(member(someone, bora.name)).to_contain_text("Average 8.00", timeout=LIVE_MS)
        expect(member(someone, chan.name)).to_contain_text("On air", timeout=LIVE_MS)

    # Last turn: nobody is left to nominate, so scoring it finishes the show.
    chan.stage.get_by_role("button", name="End the turn").click()
    expect(chan.stage.get_by_label("Nominate who goes next")).to_have_count(0)
    score(host, 10)
    score(bora, 8)
    for someone in everyone:
        podium = someone.page.get_by_role("list", name="Podium")
        expect(podium).to_be_visible(timeout=LIVE_MS)
        expect(podium.get_by_role("listitem").first).to_contain_text(chan.name)
        expect(podium.get_by_role("listitem").first).to_contain_text("9.00")
    expect(host.stage.get_by_role("heading", name="Results")).to_be_visible()
    rows = host.stage.locator(".results-table tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_contain_text(chan.name)
    expect(rows.nth(2)).to_contain_text(host.name)
    screenshot(browsers, host.page, "show-results")
    for someone in everyone:
        assert someone.page.evaluate("() => window.showMark") == "still the same page"
    # Finished rooms stop refreshing and offer no more actions.
    expect(host.stage.get_by_role("button", name="End the turn")).to_have_count(0)
    expect(host.stage.get_by_role("button", name="Finish the show")).to_have_count(0)
