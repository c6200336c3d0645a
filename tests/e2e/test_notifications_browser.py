"""Notifications in a real Chromium: a follow elsewhere shows a toast and the bell's badge
at once; without JavaScript the list still works and marks what it showed as read."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.support import sign_up, unique
from tests.support.live_server import WebUser

pytestmark = pytest.mark.e2e


def test_a_new_follower_shows_up_live_as_a_toast_and_a_badge(browsers):
    page = browsers.phone().new_page()
    username = unique("mina")
    sign_up(page, username, "김민아")
    expect(page.locator("body.is-connected")).to_have_count(1)
    badge = page.locator("#nav-notification-badge")
    expect(badge).to_be_hidden()

    fan = WebUser(browsers.base_url).signup(unique("fan"), "박준호")
    assert fan.post(f"/users/{username}/follow").status_code == 303

    expect(page.locator(".toast-notification")).to_contain_text("박준호 followed you.")
    expect(badge).to_be_visible()
    expect(badge).to_contain_text("1")

    page.locator("#nav-notifications").click()
    expect(page.get_by_role("heading", level=1, name="Notifications")).to_be_visible()
    expect(page.locator("#notifications-unread")).to_contain_text("1 unread")
    page.reload()
    expect(page.locator("#notifications-unread")).to_contain_text("0 unread")
    expect(page.locator("#nav-notification-badge")).to_be_hidden()


def test_the_list_works_without_javascript(browsers):
    page = browsers.phone(javascript=False).new_page()
    username = unique("nojs")
    sign_up(page, username, "서연")
    fan = WebUser(browsers.base_url).signup(unique("fan"), "도윤")
    assert fan.post(f"/users/{username}/follow").status_code == 303
    page.goto("/")
    expect(page.get_by_role("heading", name="New for you")).to_be_visible()
    page.locator("#nav-notifications").click()
    expect(page.get_by_role("link", name="도윤 followed you.")).to_be_visible()
