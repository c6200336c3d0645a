"""Blocks in the browser: in a room chat both share, the blocked person's live lines are
hidden from the blocker (keeping their place in the sequence), and come back on unblock."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.show import connected, join, open_room, person

pytestmark = pytest.mark.e2e


def say(someone, text: str) -> None:
    """Send a chat line from the room page's composer."""
    composer = someone.page.get_by_role("textbox", name="Message")
    composer.fill(text)
    composer.press("Enter")
    expect(someone.page.locator("#chat .chat-line", has_text=text)).to_be_visible()


def set_block(someone, other, button: str) -> None:
    """Press Block or Unblock on the other person's profile."""
    someone.page.goto(f"/users/{other.username}")
    someone.page.get_by_role("button", name=re.compile("^" + button)).click()
    after = "Unblock" if button == "Block" else "Block"
    expect(someone.page.get_by_role("button", name=re.compile("^" + after))).to_be_visible()


def test_live_lines_of_a_blocked_person_are_hidden_and_come_back(browsers):
    host = person(browsers, "host", "진행자")
    mina = person(browsers, "mina", "민아")
    junho = person(browsers, "junho", "준호")
    room = open_room(host, "Three of us")
    join(mina, room)
    join(junho, room)
    set_block(mina, junho, "Block")

    for someone in (host, mina, junho):
        someone.page.goto(room)
        connected(someone)
    say(junho, "only the host hears this")
    heard = host.page.locator("#chat .chat-line", has_text="only the host hears this")
    expect(heard).to_be_visible()
    # On mina's page the line arrives live and keeps its number, but shows nothing.
    hidden = mina.page.locator("#chat li.chat-line-hidden")
    expect(hidden).to_have_count(1)
    expect(hidden).to_be_hidden()
    expect(mina.page.locator("#chat")).not_to_contain_text("only the host hears this")
    # The next line follows in order: no gap was left waiting for a fetch.
    say(host, "and everyone hears this")
    following = mina.page.locator("#chat .chat-line", has_text="and everyone hears this")
    expect(following).to_be_visible()
    # junho does not see mina either: history after a reload hides her line.
    say(mina, "mina was here")
    junho.page.reload()
    expect(junho.page.locator("#chat")).to_contain_text("and everyone hears this")
    expect(junho.page.locator("#chat")).not_to_contain_text("mina was here")

    set_block(mina, junho, "Unblock")
    mina.page.goto(room)
    expect(mina.page.locator("#chat")).to_contain_text("only the host hears this")
