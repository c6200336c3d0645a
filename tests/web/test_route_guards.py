"""Walk app.url_map: every state-changing route needs CSRF, every private page a login.

New routes are covered automatically. A route that is public on purpose must be listed
here, so making something public is a visible decision.
"""

from __future__ import annotations

import re

import pytest
from werkzeug.routing import Rule

from tests.conftest import make_app
from tests.support.web import csrf_token

# GET pages anyone may see (logged in or not).
PUBLIC_GET = {
    "main.index",
    "main.healthz",
    "auth.signup",
    "auth.login",
    "auth.oauth_login",
    "auth.oauth_callback",
    "auth.oauth_choose_username",  # the first-login step of a new social account
    "static",
    "rooms.index",
    "rooms.show",
    "rooms.stage",  # the room page's live region, public like the page
    "rooms.stage_frame",  # the same stage as a frame for pages without JavaScript
    "invites.open_invite",  # an invite link is how visitors arrive
    "profiles.show",
    "profiles.followers",
    "profiles.following",
    "profiles.search",
    "profiles.avatar",
    "leaderboard.index",
    "leaderboard.notice",  # the "new rankings" hint on the public board
    # Highlights are public, like profiles: reading them needs no account.
    "posts.show",
    "posts.discover",
    "posts.tag",
    "posts.likers",
    "posts.comment_list",
    "posts.user_posts",
    "posts.user_likes",
    "posts.media",
}
# POSTs anyone may send (with a CSRF token).
PUBLIC_POST = {"auth.signup", "auth.login", "auth.oauth_choose_username", "main.switch_language"}
STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}


def _rules() -> list[Rule]:
    return sorted(make_app().url_map.iter_rules(), key=lambda r: r.rule)


def _url(rule: Rule) -> str:
    """Fill each converter with a plausible value."""

    def fill(match: re.Match) -> str:
        converter = match.group(1) or "default"
        return "1" if converter in {"int", "float"} else "someone"

    return re.sub(r"<(?:(\w+)(?:\([^)]*\))?:)?\w+>", fill, rule.rule)


def _cases(methods: set[str]) -> list[tuple[str, str, str]]:
    return [
        (rule.endpoint, method, _url(rule))
        for rule in _rules()
        for method in sorted((rule.methods or set()) & methods)
    ]


@pytest.mark.parametrize(("endpoint", "method", "url"), _cases(STATE_CHANGING))
def test_state_changing_routes_refuse_a_missing_csrf_token(client, endpoint, method, url):
    response = client.open(url, method=method, data={})
    assert response.status_code == 400, f"{endpoint} {method} {url}"
    assert "security token" in response.get_data(as_text=True)


@pytest.mark.parametrize(("endpoint", "method", "url"), _cases(STATE_CHANGING))
def test_private_posts_send_anonymous_users_to_login(client, endpoint, method, url):
    if endpoint in PUBLIC_POST:
        pytest.skip("public on purpose")
    token = csrf_token(client)
    response = client.open(url, method=method, data={"csrf_token": token})
    assert response.status_code == 302, f"{endpoint} {method} {url}"
    assert response.headers["Location"].startswith("/auth/login")


@pytest.mark.parametrize(("endpoint", "method", "url"), _cases({"GET"}))
def test_private_pages_send_anonymous_users_to_login(client, endpoint, method, url):
    if endpoint in PUBLIC_GET:
        pytest.skip("public on purpose")
    response = client.get(url)
    assert response.status_code == 302, f"{endpoint} {url}"
    assert response.headers["Location"].startswith("/auth/login?next=")


def test_htmx_requests_get_hx_redirect_to_login(client):
    token = csrf_token(client)
    response = client.post("/auth/logout", headers={"HX-Request": "true", "X-CSRFToken": token})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"].startswith("/auth/login")


def test_public_lists_name_real_endpoints_only():
    endpoints = {rule.endpoint for rule in _rules()}
    # Entries for areas not built yet are harmless, but typos are not: every listed
    # endpoint that belongs to a registered blueprint must exist.
    blueprints = {e.split(".")[0] for e in endpoints if "." in e}
    for name in PUBLIC_GET | PUBLIC_POST:
        if name.split(".")[0] in blueprints and name.split(".")[0] in {"main", "auth"}:
            if name.startswith("auth.oauth"):
                continue
            assert name in endpoints, name
