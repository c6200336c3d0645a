"""Follow and unfollow through htmx and plain forms; the lists page by page."""

from __future__ import annotations

import pytest

from app.models import Follow
from tests.support.web import HTMX, post
from tests.web.people_fixtures import count, follows


@pytest.fixture
def mina_and_junho(auth, make_user):
    """Mina is signed in; Junho exists."""
    make_user("junho", "박준호")
    auth.signup("mina", "김민아")


def test_plain_follow_redirects_to_the_profile(client, app, mina_and_junho):
    response = post(client, "/users/junho/follow")
    assert response.status_code == 303
    assert response.headers["Location"] == "/users/junho"
    assert follows(app) == {("mina", "junho")}
    page = client.get("/users/junho").get_data(as_text=True)
    assert "Following" in page and 'action="/users/junho/unfollow"' in page


def test_htmx_follow_swaps_the_button_and_updates_counts(client, app, mina_and_junho):
    response = post(client, "/users/junho/follow", htmx=True)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'hx-target="this"' in html and 'hx-swap="outerHTML"' in html
    assert 'hx-post="/users/junho/unfollow"' in html
    assert 'hx-swap-oob="true"' in html and "<strong>1</strong> follower" in html
    assert "<html" not in html
    response = post(client, "/users/junho/unfollow", htmx=True)
    assert 'hx-post="/users/junho/follow"' in response.get_data(as_text=True)
    assert follows(app) == set()


def test_follow_and_unfollow_are_idempotent(client, app, mina_and_junho):
    for _ in range(3):
        assert post(client, "/users/junho/follow").status_code == 303
    assert count(app, Follow) == 1
    for _ in range(2):
        assert post(client, "/users/junho/unfollow").status_code == 303
    assert count(app, Follow) == 0


def test_nobody_follows_themselves(client, app, mina_and_junho):
    response = post(client, "/users/mina/follow")
    assert response.status_code == 400
    assert "cannot follow yourself" in response.get_data(as_text=True)
    response = post(client, "/users/mina/follow", htmx=True)
    assert response.status_code == 400
    assert response.headers["HX-Retarget"] == "#toasts"
    assert count(app, Follow) == 0
    assert 'action="/users/mina/follow"' not in client.get("/users/mina").get_data(as_text=True)


def test_following_a_stranger_is_404(client, app, mina_and_junho):
    assert post(client, "/users/nobody/follow").status_code == 404
    assert count(app, Follow) == 0


@pytest.mark.parametrize("action", ["follow", "unfollow"])
def test_follow_needs_csrf(client, app, mina_and_junho, action):
    response = client.post(f"/users/junho/{action}", headers=HTMX)
    assert response.status_code == 400
    assert count(app, Follow) == 0


@pytest.mark.parametrize("action", ["follow", "unfollow"])
def test_follow_needs_login(client, app, make_user, action):
    make_user("junho")
    response = post(client, f"/users/junho/{action}")
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]
    assert count(app, Follow) == 0


def test_visitors_see_a_login_link_instead_of_the_button(client, make_user):
    make_user("junho")
    html = client.get("/users/junho").get_data(as_text=True)
    assert "/auth/login?next=/users/junho" in html
    assert 'action="/users/junho/follow"' not in html


def test_lists_are_paginated(client, app, make_user):
    from datetime import timedelta

    from app.database import utcnow
    from app.extensions import db

    star = make_user("star", "Star")
    with app.app_context():
        for n in range(23):
            fan = make_user(f"fan{n:02d}")
            db.session.add(
                Follow(
                    follower_id=fan, followed_id=star, created_at=utcnow() + timedelta(seconds=n)
                )
            )
        db.session.commit()
    first = client.get("/users/star/followers").get_data(as_text=True)
    assert first.count('class="person"') == 20
    assert "Page 1 of 2" in first and 'href="/users/star/followers?page=2"' in first
    second = client.get("/users/star/followers?page=2").get_data(as_text=True)
    assert second.count('class="person"') == 3
    assert "fan00" in second  # oldest follows come last
    fragment = client.get("/users/star/followers?page=2", headers=HTMX).get_data(as_text=True)
    assert fragment.startswith('<div id="people-page">')
    following = client.get("/users/fan03/following").get_data(as_text=True)
    assert "@star" in following
    assert "Not following anyone yet." in client.get("/users/star/following").get_data(as_text=True)
    profile = client.get("/users/star").get_data(as_text=True)
    assert "<strong>23</strong> followers" in profile and "<strong>0</strong> following" in profile


def test_lists_of_unknown_people_are_404(client):
    assert client.get("/users/nobody/followers").status_code == 404
    assert client.get("/users/nobody/following").status_code == 404
    assert client.get("/users/nobody").status_code == 404


def test_lists_and_search_carry_follow_buttons(client, app, mina_and_junho, make_user):
    make_user("yuna", "윤유나")
    post(client, "/users/junho/follow")
    search = client.get("/people?q=u").get_data(as_text=True)
    assert 'hx-post="/users/junho/unfollow"' in search
    assert 'hx-post="/users/yuna/follow"' in search
    assert 'name="from" value="list"' in search
    assert 'hx-post="/users/mina/follow"' not in client.get("/people?q=mina").get_data(as_text=True)
    response = post(client, "/users/yuna/follow", {"from": "list"}, htmx=True)
    html = response.get_data(as_text=True)
    assert 'hx-post="/users/yuna/unfollow"' in html and "hx-swap-oob" not in html
    response = post(
        client,
        "/users/yuna/unfollow",
        {"from": "list"},
        headers={"Referer": "http://localhost/people?q=u"},
    )
    assert response.status_code == 303 and response.headers["Location"] == "/people?q=u"
    response = post(
        client, "/users/yuna/follow", {"from": "list"}, headers={"Referer": "http://evil.test/x"}
    )
    assert response.headers["Location"] == "/users/yuna"
    assert follows(app) == {("mina", "junho"), ("mina", "yuna")}
