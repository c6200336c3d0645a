"""Profiles in a real Chromium on a phone-sized screen: htmx swaps under our CSP."""

from __future__ import annotations

import pytest

from tests.e2e.audits import assert_no_sideways_scroll
from tests.e2e.support import sign_up, unique

pytestmark = pytest.mark.e2e


@pytest.fixture
def people(browsers):
    """A logged-in phone page for a new member, and another member to follow: (page, me, other).

    Built on the shared `browsers` fixture, so the one live server, the shared Chromium and
    its missing-service rules (ENCORE_REQUIRE_SERVICES) apply here too.
    """
    other = unique("junho")
    sign_up(browsers.phone().new_page(), other, "박준호")
    me = unique("mina")
    page = browsers.phone().new_page()
    sign_up(page, me, "김민아")
    return page, me, other


def counts(page) -> str:
    """The follower/following line as one string."""
    return " ".join(page.locator(".profile-counts").text_content().split())


def test_follow_toggles_in_place_and_counts_update(people, browsers):
    page, _me, other = people
    page.goto(f"/users/{other}")
    button = page.locator(".follow-form button")
    assert button.get_attribute("aria-pressed") == "false"
    button.click()
    page.wait_for_selector('.follow-form button[aria-pressed="true"]')
    assert page.url == f"{browsers.base_url}/users/{other}"  # swapped, not navigated
    assert "1 follower" in counts(page)
    page.locator(".follow-form button").click()
    page.wait_for_selector('.follow-form button[aria-pressed="false"]')
    assert "0 followers" in counts(page)


def test_bio_edits_in_place_and_stays_text(people):
    page, me, _other = people
    page.goto(f"/users/{me}")
    page.click("text=Edit bio")
    page.fill("#bio-input", "<img src=x onerror=alert(1)> 발라드")
    page.click("#profile-bio button[type=submit]")
    page.wait_for_selector(".bio-text")
    assert page.locator(".bio-text").inner_text() == "<img src=x onerror=alert(1)> 발라드"
    assert page.locator("#profile-bio img").count() == 0


def test_no_sideways_scroll_on_a_phone(people):
    page, me, _other = people
    paths = ("/", f"/users/{me}", f"/users/{me}/followers", "/people?q=mi", "/settings/profile")
    for path in paths:
        page.goto(path)
        assert_no_sideways_scroll(page)
