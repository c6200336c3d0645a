"""The login limit holds under concurrency and never locks the owner's own device out."""

from __future__ import annotations

import threading
import uuid

from tests.support.web import AuthActions, csrf_token

ATTEMPTS = 40
PER_ADDRESS = 20  # LOGIN_LIMIT_PER_IP


def _parallel_wrong_logins(app, username: str, count: int = ATTEMPTS) -> list[int]:
    """Send `count` wrong passwords for `username` at once, each from its own browser."""
    browsers = [app.test_client() for _ in range(count)]
    tokens = [csrf_token(browser, "/auth/login") for browser in browsers]
    start = threading.Barrier(count)
    statuses: list[int] = [0] * count

    def attempt(index: int) -> None:
        start.wait()
        response = browsers[index].post(
            "/auth/login",
            data={"username": username, "password": "wrong guess", "csrf_token": tokens[index]},
        )
        statuses[index] = response.status_code

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def test_parallel_wrong_passwords_get_429_after_the_limit(app, make_user):
    # A name no other test uses: when Redis blinked earlier in the run, Flask-Limiter's
    # in-process fallback may still hold another test's guesses for a shared name.
    name = f"guess{uuid.uuid4().hex[:8]}"
    make_user(name)
    # As many guesses as the per-address limit (20 a minute) allows, so only the per-name
    # limit can refuse one: with more, a guess could find the name's count still under 5
    # but the address's already over 20, and fewer than five would be checked.
    statuses = _parallel_wrong_logins(app, name, PER_ADDRESS)
    # The per-name limit is 5 a minute: exactly five guesses are checked, the rest refused.
    assert sorted(statuses) == [401] * 5 + [429] * (PER_ADDRESS - 5)


def test_the_owner_still_logs_in_from_a_device_that_logged_in_before(app, make_user):
    make_user("junho")
    owner = app.test_client()
    assert AuthActions(owner).login("junho").status_code == 303
    assert owner.get_cookie("encore_device") is not None
    AuthActions(owner).logout()

    statuses = _parallel_wrong_logins(app, "junho")
    assert statuses.count(429) >= ATTEMPTS - 5

    stranger = app.test_client()
    assert AuthActions(stranger).login("junho").status_code == 429
    assert AuthActions(owner).login("junho").status_code == 303


def test_a_device_cookie_for_another_account_does_not_help(app, make_user):
    make_user("junho")
    make_user("mina")
    browser = app.test_client()
    assert AuthActions(browser).login("mina").status_code == 303
    AuthActions(browser).logout()
    _parallel_wrong_logins(app, "junho", 10)
    assert AuthActions(browser).login("junho").status_code == 429


def test_a_forged_device_cookie_is_ignored(app, make_user):
    make_user("junho")
    _parallel_wrong_logins(app, "junho", 10)
    browser = app.test_client()
    browser.set_cookie("encore_device", "eyJ1IjoxLCJkIjoieCJ9.forged.signature")
    assert AuthActions(browser).login("junho").status_code == 429


def test_the_owner_device_has_its_own_limit(app, make_user):
    make_user("junho")
    owner = app.test_client()
    assert AuthActions(owner).login("junho").status_code == 303
    AuthActions(owner).logout()
    statuses = [AuthActions(owner).login("junho", "wrong guess").status_code for _ in range(11)]
    assert statuses[:10] == [401] * 10
    assert statuses[10] == 429
