"""The celebration in a real browser: reactions burst over the whole stage and the podium
reveals third → first with confetti; with reduced motion nothing moves, numbers still do."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.show import (
    LIVE_MS,
    connected,
    join,
    nominate,
    open_room,
    person,
    reaction_count,
    score,
    settled,
)

pytestmark = pytest.mark.e2e


RECORD_SPRITES = """() => {
  window.__sprites = [];
  new MutationObserver((records) => records.forEach((r) => r.addedNodes.forEach((n) => {
    if (n.classList && n.classList.contains("burst-sprite")) {
      window.__sprites.push([n.classList[1], getComputedStyle(n).animationName,
                             n.querySelectorAll(".burst-specks").length]);
    }
  }))).observe(document.getElementById("stage-burst"), { childList: true });
}"""


def _animation(page, selector: str) -> str:
    """Return the CSS animation name of the first element matching `selector`."""
    return page.eval_on_selector(selector, "el => getComputedStyle(el).animationName")


def test_reactions_and_podium_animate_unless_motion_is_reduced(browsers):
    host = person(browsers, "hana", "김하나")
    bora = person(browsers, "bora", "이보라")
    fan = person(browsers, "fan", "관객")
    fan.page.emulate_media(reduced_motion="reduce")
    room = open_room(host, "축하의 밤")
    connected(host)
    join(bora, room)
    connected(bora)
    fan.page.goto(room)  # a spectator: no seat
    connected(fan)

    host.stage.get_by_role("button", name="Start the show").click()
    expect(bora.stage).to_contain_text("On air", timeout=LIVE_MS)
    expect(fan.stage).to_contain_text("On air", timeout=LIVE_MS)
    # The performer cannot clap for herself.
    expect(host.stage.get_by_role("button", name="Clap")).to_have_count(0)

    # Record every sprite as it is made (they remove themselves when their animation ends).
    for someone in (host, fan):
        someone.page.evaluate(RECORD_SPRITES)
    fan.stage.get_by_role("button", name="Clap").click()
    bora.stage.get_by_role("button", name="Mirror ball").click()
    host.page.wait_for_function("() => window.__sprites.length >= 2", timeout=LIVE_MS)
    made = sorted(host.page.evaluate("() => window.__sprites"))
    # A clap rises on one of three paths; a mirror ball drops with its ring of specks.
    assert [kind for kind, _name, _specks in made] == ["is-clap", "is-mirror_ball"]
    assert made[0][1] in ("burst-rise-0", "burst-rise-1", "burst-rise-2") and made[0][2] == 0
    assert made[1][1:] == ["ball-drop", 1]
    # The burst layer covers the whole stage, not the button row.
    layer = host.page.locator("#stage-burst").bounding_box()
    stage = host.stage.bounding_box()
    assert layer["height"] >= stage["height"] - 2
    # Reduced motion: the count arrives, no sprite is ever made.
    expect(reaction_count(fan, "mirror_ball")).to_have_text("1", timeout=LIVE_MS)
    assert fan.page.evaluate("() => window.__sprites") == []

    nominate(host, bora)
    host.stage.get_by_role("button", name="End the turn").click()
    score(bora, 7)
    expect(bora.stage).to_contain_text("On air", timeout=LIVE_MS)
    settled(bora)  # her score's answer and the refresh it pushed have both landed
    bora.stage.get_by_role("button", name="End the turn").click()
    score(host, 9)

    for someone in (host, bora, fan):
        expect(someone.page.get_by_role("list", name="Podium")).to_be_visible(timeout=LIVE_MS)
    # The winner (이보라, 9.00) is revealed last, with confetti.
    assert _animation(bora.page, ".podium-1") == "podium-rise"
    delays = bora.page.eval_on_selector_all(
        ".podium-place", "els => els.map(el => getComputedStyle(el).animationDelay)"
    )
    assert delays == ["0.8s", "0s"]  # 1st waits for 2nd
    expect(bora.page.locator(".podium-1 .confetti i").first).to_be_attached()
    assert _animation(fan.page, ".podium-1") == "none"
    expect(fan.page.locator(".confetti")).to_have_count(0)
