"""The same show with JavaScript off on one phone: plain forms, and a stage and chat lines
that refresh in frames while the page holding the chat composer stays still."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.audits import screenshot
from tests.e2e.show import (
    LIVE_MS,
    REFRESH_MS,
    Person,
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


def fresh(someone: Person) -> None:
    """Load the room page anew, as the automatic refresh does, so a tap never races it."""
    someone.page.reload()
    expect(someone.stage).to_be_visible()


def refreshes_itself(someone: Person) -> None:
    """The stage frame refreshes itself; the page around it (with the composer) does not."""
    expect(someone.page.locator('meta[http-equiv="refresh"]')).to_have_count(0)
    frame = someone.page.frame_locator("#stage-frame")
    expect(frame.locator('meta[http-equiv="refresh"]')).to_have_count(1)


def test_show_with_javascript_off_on_one_phone(browsers):
    host = person(browsers, "hana", "김하나")
    nojs = person(browsers, "nojs", "노스크립트", javascript=False)
    chan = person(browsers, "chan", "박찬")
    everyone = [host, nojs, chan]

    room = open_room(host, "스크립트 없는 밤")
    connected(host)
    join(nojs, room)
    refreshes_itself(nojs)
    expect(nojs.page.get_by_role("status")).to_contain_text("You have a seat")
    expect(member(host, nojs.name)).to_be_visible(timeout=LIVE_MS)
    join(chan, room)
    connected(chan)
    expect(member(host, chan.name)).to_be_visible(timeout=LIVE_MS)
    # The phone without JavaScript learns about the newcomer from its automatic refresh.
    expect(member(nojs, chan.name)).to_be_visible(timeout=REFRESH_MS)
    screenshot(browsers, nojs.page, "nojs-lobby")

    host.stage.get_by_role("button", name="Start the show").click()
    sees([nojs, chan], "On air")
    sees([nojs, chan], host.name)
    refreshes_itself(nojs)

    # A reaction sent as a plain form reaches the phones with JavaScript live.
    fresh(nojs)
    nojs.stage.get_by_role("button", name="Clap").click()
    expect(reaction_count(nojs, "clap")).to_have_text("1")
    for other in (host, chan):
        expect(reaction_count(other, "clap")).to_have_text("1", timeout=LIVE_MS)
    chan.stage.get_by_role("button", name="Mirror ball").click()
    expect(reaction_count(nojs, "mirror_ball")).to_have_text("1", timeout=REFRESH_MS)
    screenshot(browsers, nojs.page, "nojs-on-air")

    host.stage.get_by_role("button", name="End the turn").click()
    nominate(host, nojs)
    expect(nojs.stage.get_by_role("group", name=f"Your score for {host.name}")).to_be_visible(
        timeout=REFRESH_MS
    )
    sees([nojs], f"Next up: {nojs.name}")
    fresh(nojs)
    score(nojs, 8)
    expect(nojs.stage).to_contain_text("your score is in")
    sees([host, chan], "1 of 2 scores in")
    score(chan, 6)

    # The nominee without JavaScript is on air; the others see it live.
    for someone in everyone:
        expect(member(someone, host.name)).to_contain_text("Average 7.00", timeout=someone.wait_ms)
        expect(member(someone, nojs.name)).to_contain_text("On air", timeout=someone.wait_ms)
    fresh(nojs)
    nojs.stage.get_by_role("button", name="End the turn").click()
    sees([host, chan], f"Scoring {nojs.name}")
    fresh(nojs)
    nominate(nojs, chan)
    expect(nojs.stage).to_contain_text(f"Next up: {chan.name}")
    sees([host, chan], f"Next up: {chan.name}")
    score(host, 9)
    score(chan, 7)
    for someone in everyone:
        expect(member(someone, nojs.name)).to_contain_text("Average 8.00", timeout=someone.wait_ms)
        expect(member(someone, chan.name)).to_contain_text("On air", timeout=someone.wait_ms)

    # The host finishes early (confirming the question); the results reach everyone.
    host.page.once("dialog", lambda dialog: dialog.accept())
    host.stage.get_by_role("button", name="Finish the show").click()
    for someone in everyone:
        podium = someone.stage.get_by_role("list", name="Podium")
        expect(podium).to_be_visible(timeout=someone.wait_ms)
        expect(podium.get_by_role("listitem").first).to_contain_text(nojs.name)
        expect(podium.get_by_role("listitem").first).to_contain_text("8.00")
    expect(nojs.stage.locator(".results-table tbody tr", has_text=chan.name)).to_contain_text(
        "no scores"
    )
    # A finished show has nothing left to wait for, so the stage stops refreshing.
    stage_frame = nojs.page.frame_locator("#stage-frame")
    expect(stage_frame.locator('meta[http-equiv="refresh"]')).to_have_count(0)
    screenshot(browsers, nojs.page, "nojs-results")


def test_a_chat_draft_survives_the_refreshes_while_the_stage_moves_on(browsers):
    host = person(browsers, "hana", "김하나")
    nojs = person(browsers, "nojs", "노스크립트", javascript=False)
    room = open_room(host, "초안이 남는 밤", capacity=2)
    connected(host)
    join(nojs, room)
    page = nojs.page
    composer = page.get_by_label("Message", exact=True)
    chat_lines = page.frame_locator("iframe.chat-frame").locator("li[data-seq] .chat-body")
    expect(page.locator("iframe.stage-frame")).to_have_attribute("title", "Stage")
    expect(page.locator("iframe.chat-frame")).to_have_attribute("title", "Chat messages")

    # Count what navigates from here on: the page itself, and each frame's refreshes.
    navigations = {"page": 0, "stage": 0, "chat": 0}

    def navigated(frame) -> None:
        if frame == page.main_frame:
            navigations["page"] += 1
        elif "/frames/stage" in frame.url:
            navigations["stage"] += 1
        elif "/frames/chat" in frame.url:
            navigations["chat"] += 1

    page.on("framenavigated", navigated)
    draft = "아직 쓰는 중이에요, 지우지 마세요"
    composer.fill(draft)
    # Meanwhile the show moves on and the host says something in the chat.
    host.stage.get_by_role("button", name="Start the show").click()
    host.page.get_by_label("Message", exact=True).fill("다들 안녕!")
    host.page.locator("#chat").get_by_role("button", name="Send").click()

    # Past two refresh periods: the stage and the chat lines are new, the draft untouched.
    expect(nojs.stage).to_contain_text("On air", timeout=REFRESH_MS)
    expect(chat_lines.filter(has_text="다들 안녕!")).to_have_count(1, timeout=REFRESH_MS)
    page.wait_for_timeout(11_000)
    assert navigations["stage"] >= 2 and navigations["chat"] >= 2, navigations
    assert navigations["page"] == 0, navigations
    expect(composer).to_have_value(draft)
    screenshot(browsers, page, "nojs-draft-kept")

    # Sending it is a plain post: the page comes back with an empty box and the line.
    page.locator("#chat").get_by_role("button", name="Send").click()
    expect(composer).to_have_value("")
    expect(chat_lines.filter(has_text=draft)).to_have_count(1)
    expect(host.page.locator("li[data-seq] .chat-body", has_text=draft)).to_have_count(
        1, timeout=LIVE_MS
    )
