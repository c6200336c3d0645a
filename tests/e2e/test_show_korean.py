"""The whole three-phone show in Korean at 360 px: every screen Korean, no sideways scroll,
axe clean, and what arrives live (socket-driven refreshes) is Korean too.

The phones start in English (their browsers ask for en-US) and switch with the footer's
한국어 button, as a person would; the choice is saved on each account.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.audits import assert_accessible, assert_no_sideways_scroll, screenshot
from tests.e2e.show import LIVE_MS, Person, connected, member, person, reaction_count, score
from tests.support.i18n import english_leaks, html_lang, visible_text

pytestmark = pytest.mark.e2e

NARROW = {"width": 360, "height": 740}


def in_korean(someone: Person) -> None:
    """Switch to Korean with the footer switch and narrow the phone to 360 px."""
    page = someone.page
    page.set_viewport_size(NARROW)
    page.locator("footer").get_by_role("button", name="한국어").click()
    expect(page.locator("html")).to_have_attribute("lang", "ko")


def scoring_open(others: list[Person], performer: Person) -> None:
    """The performer's turn has ended on every other stage: its score buttons are there."""
    for other in others:
        expect(
            other.stage.get_by_role("group", name=f"{performer.name} 님에게 줄 점수")
        ).to_be_visible(timeout=LIVE_MS)


def check_screen(browsers, page: Page, name: str) -> None:
    """Korean only, no sideways scroll, axe clean, and a screenshot for the record."""
    html = page.content()
    assert html_lang(html) == "ko"
    leaks = english_leaks(visible_text(html, "ko"))
    assert not leaks, f"English on the Korean {name} screen: {leaks}"
    assert_no_sideways_scroll(page)
    assert_accessible(page)
    screenshot(browsers, page, f"ko-{name}")


def test_whole_show_in_korean_on_three_360px_phones(browsers):
    host = person(browsers, "minjun", "김민준")  # ends in a consonant
    seoa = person(browsers, "seoa", "이서아")  # ends in a vowel
    alex = person(browsers, "alex", "Alex")  # Latin letters
    everyone = [host, seoa, alex]
    for someone in everyone:
        in_korean(someone)

    page = host.page
    page.goto("/rooms/new")
    check_screen(browsers, page, "new-room")
    page.get_by_label("제목").fill("불금 노래방")
    page.get_by_label("설명").fill("휴대폰으로 하는 노래 대결")
    page.get_by_label("카테고리").select_option("karaoke")
    page.get_by_role("radio", name=re.compile("^랭킹")).check()
    page.get_by_label("정원").fill("3")
    page.get_by_role("button", name="방 열기").click()
    expect(host.stage).to_contain_text("대기실")
    room = page.url
    connected(host)

    for guest in (seoa, alex):
        guest.page.goto(room)
        guest.page.get_by_role("button", name="이 방에 들어가기").click()
        expect(guest.stage).to_contain_text("방장이 쇼를 시작하기를")
        connected(guest)
    expect(host.stage).to_contain_text("3석 중 3석이 찼어요", timeout=LIVE_MS)
    expect(member(host, alex.name)).to_be_visible(timeout=LIVE_MS)
    check_screen(browsers, host.page, "lobby")

    host.page.get_by_label("누가 먼저 공연할까요?").select_option(label=f"{host.name} (나)")
    host.stage.get_by_role("button", name="쇼 시작하기").click()
    for other in (seoa, alex):
        expect(other.stage).to_contain_text("ON AIR", timeout=LIVE_MS)
        expect(other.stage).to_contain_text(host.name, timeout=LIVE_MS)

    seoa.stage.get_by_role("button", name="박수").click()
    alex.stage.get_by_role("button", name="미러볼").click()
    for someone in everyone:
        expect(reaction_count(someone, "clap")).to_have_text("1", timeout=LIVE_MS)
    check_screen(browsers, alex.page, "on-air")

    host.stage.get_by_role("button", name="차례 끝내기").click()
    scoring_open([seoa, alex], host)
    host.page.get_by_label("다음 차례 지목하기").select_option(label=seoa.name)
    host.stage.get_by_role("button", name="지목하기", exact=True).click()
    for other in (seoa, alex):
        expect(other.stage).to_contain_text(f"다음 차례: {seoa.name}", timeout=LIVE_MS)
    check_screen(browsers, seoa.page, "scoring")

    score(seoa, 8)
    expect(seoa.stage).to_contain_text("점수가 들어갔어요")
    expect(alex.stage).to_contain_text("점수 2개 중 1개가 들어왔어요", timeout=LIVE_MS)
    score(alex, 6)
    for someone in everyone:
        expect(member(someone, host.name)).to_contain_text("평균 7.00", timeout=LIVE_MS)

    # 이서아 performs and nominates Alex; Alex performs last and scoring ends the show.
    seoa.stage.get_by_role("button", name="차례 끝내기").click()
    # As on the first turn: once the others score, the turn's end has reached every
    # stage, so no refresh replaces the nominee list while 서아 picks from it.
    scoring_open([host, alex], seoa)
    seoa.page.get_by_label("다음 차례 지목하기").select_option(label=alex.name)
    seoa.stage.get_by_role("button", name="지목하기", exact=True).click()
    # The nomination refreshes every stage; score once it has, so no refresh replaces a
    # score button under a tap.
    for other in (host, alex):
        expect(other.stage).to_contain_text(f"다음 차례: {alex.name}", timeout=LIVE_MS)
    score(host, 9)
    score(alex, 7)
    expect(member(host, alex.name)).to_contain_text("ON AIR", timeout=LIVE_MS)
    alex.stage.get_by_role("button", name="차례 끝내기").click()
    scoring_open([host, seoa], alex)
    score(host, 10)
    score(seoa, 8)

    for someone in everyone:
        podium = someone.page.get_by_role("list", name="시상대")
        expect(podium).to_be_visible(timeout=LIVE_MS)
        expect(podium.get_by_role("listitem").first).to_contain_text(alex.name)
    expect(host.stage.get_by_role("heading", name="결과")).to_be_visible()
    check_screen(browsers, host.page, "results")

    # The choice was saved on the account: a fresh phone for Alex is Korean after login.
    alex.page.goto("/users/" + alex.username)
    check_screen(browsers, alex.page, "profile")
