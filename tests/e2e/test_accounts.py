"""Accounts in a real browser: sign up, log out and in on a phone, with the keyboard only."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.audits import audit
from tests.e2e.support import PASSWORD, log_in, sign_up, unique

pytestmark = pytest.mark.e2e


def test_sign_up_on_a_phone_then_log_in_on_another(browsers):
    page = browsers.phone().new_page()
    username = unique("mina")
    page.goto("/")
    page.get_by_role("link", name="Create your account").click()
    expect(page).to_have_url(browsers.base_url + "/auth/signup")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Display name").fill("김민아")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()

    expect(page.get_by_role("status")).to_contain_text("Welcome to Encore, 김민아!")
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    assert page.evaluate("() => document.body.dataset.userId") is not None
    # The live connection comes up for a member (app.js marks the body).
    expect(page.locator("body.is-connected")).to_have_count(1)

    other = browsers.phone().new_page()
    log_in(other, username)
    expect(other.locator("body.is-connected")).to_have_count(1)


def test_log_out_ends_the_session(browsers):
    page = browsers.phone().new_page()
    username = unique("bye")
    sign_up(page, username, "안녕히")
    expect(page.locator("body.is-connected")).to_have_count(1)
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("status")).to_contain_text("You are logged out")
    expect(page.get_by_role("link", name="Log in")).to_be_visible()
    page.reload()
    expect(page.get_by_role("button", name="Log out")).to_have_count(0)
    log_in(page, username)
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def test_wrong_password_and_bad_signup_show_errors_in_the_form(browsers):
    username = unique("jun")
    sign_up(browsers.phone().new_page(), username, "준")
    page = browsers.phone().new_page()

    page.goto("/auth/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("not the password")
    with browsers.expecting(401):
        page.get_by_role("main").get_by_role("button", name="Log in").click()
        expect(page.get_by_role("alert")).to_contain_text("do not match")
    expect(page.get_by_label("Password")).to_have_attribute("aria-invalid", "true")

    page.goto("/auth/signup")
    page.get_by_label("Username").fill(username)  # taken
    page.get_by_label("Display name").fill("다른 준")
    page.get_by_label("Password").fill("short")
    with browsers.expecting(400, 409):
        page.get_by_role("button", name="Create account").click()
        expect(page.get_by_label("Password")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("button", name="Log out")).to_have_count(0)


def test_keyboard_only_sign_up(browsers):
    page = browsers.phone().new_page()
    username = unique("kb")
    page.goto("/auth/signup")
    # The first Tab lands on the skip link; following it puts focus in the page content.
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.keyboard.press("Enter")
    focused_id = None
    for _ in range(15):
        page.keyboard.press("Tab")
        focused_id = page.evaluate("() => document.activeElement && document.activeElement.id")
        if focused_id == "username":
            break
    assert focused_id == "username", "Tab from the content never reached the username field"
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    expect(page.get_by_label("Display name")).to_be_focused()
    page.keyboard.type("키보드 사용자")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password")).to_be_focused()
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Create account")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("키보드 사용자")
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


@pytest.mark.parametrize("kind", ["phone", "desktop"])
def test_public_pages_are_accessible_and_fit_a_phone(browsers, kind):
    page = getattr(browsers, kind)().new_page()
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    audit(browsers, page, "home")
    page.goto("/auth/login")
    audit(browsers, page, "login")
    page.goto("/auth/signup")
    audit(browsers, page, "signup")
    with browsers.expecting(404):
        response = page.goto("/no-such-page")
        assert response is not None and response.status == 404
        expect(page.get_by_role("heading", name="Not found")).to_be_visible()
        audit(browsers, page, "not-found")
    page.get_by_role("link", name="Back to Encore").click()
    expect(page).to_have_url(browsers.base_url + "/")


def test_member_home_is_accessible(browsers):
    page = browsers.phone().new_page()
    sign_up(page, unique("home"), "홈 화면")
    page.goto("/")
    expect(page.locator("body.is-connected")).to_have_count(1)
    audit(browsers, page, "home-member")
