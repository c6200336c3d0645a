"""Profiles in a real Chromium on a phone-sized screen: htmx swaps under our CSP."""

from __future__ import annotations

import shutil

import pytest

from tests.support.live_server import LiveServer, WebUser

pytestmark = pytest.mark.e2e

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture
def server(app, database, tmp_path):
    """A real Encore process on the test database (the `app` fixture wipes it after)."""
    live = LiveServer(
        database.url, redis_url=None, prefix="encore-e2e-people:", instance_path=str(tmp_path)
    ).start()
    yield live
    live.stop()


@pytest.fixture
def page(server):
    """A logged-in phone browser page (375×812) for `mina`; `junho` exists too."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if not shutil.which(CHROMIUM) and not CHROMIUM.startswith("/"):
        pytest.skip("no Chromium")
    WebUser(server.url).signup("junho", "박준호")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        context = browser.new_context(viewport={"width": 375, "height": 812})
        tab = context.new_page()
        tab.console_errors = []
        tab.on("console", lambda m: tab.console_errors.append(m.text) if m.type == "error" else 0)
        tab.goto(server.url + "/auth/signup")
        tab.fill("#username", "mina")
        tab.fill("#display_name", "김민아")
        tab.fill("#password", "correct horse")
        tab.click("form button[type=submit]")
        tab.wait_for_url(server.url + "/")
        yield tab
        browser.close()


def counts(page) -> str:
    """The follower/following line as one string."""
    return " ".join(page.locator(".profile-counts").text_content().split())


def test_follow_toggles_in_place_and_counts_update(page, server):
    page.goto(server.url + "/users/junho")
    button = page.locator(".follow-form button")
    assert button.get_attribute("aria-pressed") == "false"
    button.click()
    page.wait_for_selector('.follow-form button[aria-pressed="true"]')
    assert page.url == server.url + "/users/junho"  # swapped, not navigated
    assert "1 follower" in counts(page)
    page.locator(".follow-form button").click()
    page.wait_for_selector('.follow-form button[aria-pressed="false"]')
    assert "0 followers" in counts(page)
    assert page.console_errors == []


def test_bio_edits_in_place_and_stays_text(page, server):
    page.goto(server.url + "/users/mina")
    page.click("text=Edit bio")
    page.fill("#bio-input", "<img src=x onerror=alert(1)> 발라드")
    page.click("#profile-bio button[type=submit]")
    page.wait_for_selector(".bio-text")
    assert page.locator(".bio-text").inner_text() == "<img src=x onerror=alert(1)> 발라드"
    assert page.locator("#profile-bio img").count() == 0
    assert page.console_errors == []


def test_no_sideways_scroll_on_a_phone(page, server):
    for path in ("/", "/users/mina", "/users/mina/followers", "/people?q=mi", "/settings/profile"):
        page.goto(server.url + path)
        assert page.evaluate("document.documentElement.scrollWidth") <= 375, path
    assert page.console_errors == []
