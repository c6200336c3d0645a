"""Settings: display name, bio (plain form and in place), password; nobody edits others."""

from __future__ import annotations

import pytest

from tests.support.web import HTMX, post
from tests.web.people_fixtures import user_row

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest.fixture
def mina(auth):
    """Mina is signed up and signed in."""
    auth.signup("mina", "김민아")


def test_settings_page_saves_display_name_and_bio(client, app, mina):
    page = client.get("/settings/profile").get_data(as_text=True)
    assert 'value="김민아"' in page
    response = post(
        client,
        "/settings/profile",
        {"display_name": "  민아 🎤 ", "bio": "Ballads\nafter midnight"},
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/settings/profile"
    user = user_row(app, "mina")
    assert user.display_name == "민아 🎤"
    assert user.bio == "Ballads after midnight"


@pytest.mark.parametrize(
    ("display_name", "bio", "message"),
    [
        ("", "ok", "This field is required"),
        ("가" * 41, "ok", "between 1 and 40"),
        ("Mina", "x" * 161, "160"),
        ("\u200b", "ok", "Display names are 1–40 characters."),
        ("\u200b\u0000", "ok", "characters Encore cannot store"),
    ],
)
def test_bad_profile_input_is_refused_and_nothing_changes(
    client, app, mina, display_name, bio, message
):
    response = post(client, "/settings/profile", {"display_name": display_name, "bio": bio})
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    user = user_row(app, "mina")
    assert user.display_name == "김민아" and user.bio == ""


def test_display_name_and_bio_are_escaped_everywhere(client, app, mina, make_user):
    assert (
        post(client, "/settings/profile", {"display_name": XSS[:40], "bio": XSS}).status_code == 303
    )
    for url in ("/users/mina", "/people?q=mina", "/settings/profile", "/"):
        html = client.get(url).get_data(as_text=True)
        assert "<script>alert" not in html, url
        assert "<img src=x" not in html, url
    html = client.get("/users/mina").get_data(as_text=True)
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html


def test_bio_edits_in_place_with_htmx(client, app, mina):
    editor = client.get("/users/mina/bio/edit", headers=HTMX)
    assert editor.status_code == 200
    assert 'hx-post="/users/mina/bio"' in editor.get_data(as_text=True)
    response = post(client, "/users/mina/bio", {"bio": "Karaoke queen"}, htmx=True)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.startswith('<div class="profile-bio" id="profile-bio">')
    assert "Karaoke queen" in html
    assert user_row(app, "mina").bio == "Karaoke queen"
    cancel = client.get("/users/mina/bio", headers=HTMX).get_data(as_text=True)
    assert "Karaoke queen" in cancel


def test_bio_in_place_without_scripts_goes_to_settings(client, mina):
    response = client.get("/users/mina/bio/edit")
    assert response.status_code == 303 and response.headers["Location"] == "/settings/profile"
    response = post(client, "/users/mina/bio", {"bio": "plain"})
    assert response.status_code == 303 and response.headers["Location"] == "/users/mina"


def test_too_long_bio_in_place_is_400_and_unsaved(client, app, mina):
    response = post(client, "/users/mina/bio", {"bio": "가" * 161}, htmx=True)
    assert response.status_code == 400
    assert "160" in response.get_data(as_text=True)
    assert user_row(app, "mina").bio == ""


def test_editing_another_users_bio_is_refused(client, app, make_user, mina):
    make_user("junho", "박준호")
    assert post(client, "/users/junho/bio", {"bio": "hacked"}).status_code == 403
    assert post(client, "/users/junho/bio", {"bio": "x" * 200}).status_code == 403
    assert client.get("/users/junho/bio/edit", headers=HTMX).status_code == 403
    assert user_row(app, "junho").bio == ""
    assert 'hx-get="/users/junho/bio/edit"' not in client.get("/users/junho").get_data(as_text=True)


@pytest.mark.parametrize(
    ("url", "data"),
    [
        ("/settings/profile", {"display_name": "X", "bio": ""}),
        ("/users/mina/bio", {"bio": "x"}),
        ("/settings/password", {"current_password": "correct horse", "new_password": "new pass 1"}),
        ("/settings/avatar", {}),
    ],
)
def test_settings_need_csrf(client, app, mina, url, data):
    response = client.post(url, data=data)
    assert response.status_code == 400
    user = user_row(app, "mina")
    assert user.display_name == "김민아" and user.bio == "" and user.avatar_filename is None
    assert user.check_password("correct horse")


@pytest.mark.parametrize(
    "url", ["/settings/profile", "/users/mina/bio", "/settings/password", "/settings/avatar"]
)
def test_settings_need_login(client, make_user, url):
    make_user("mina")
    response = post(client, url, {"bio": "x", "display_name": "x"})
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]
    assert client.get("/settings/profile").status_code == 302


def test_password_change_keeps_this_session_and_ends_others(client, app, mina):
    other = app.test_client()
    post(other, "/auth/login", {"username": "mina", "password": "correct horse"})
    assert "Log out" in other.get("/").get_data(as_text=True)
    response = post(
        client,
        "/settings/password",
        {"current_password": "correct horse", "new_password": "battery staple"},
    )
    assert response.status_code == 303
    assert "Log out" in client.get("/").get_data(as_text=True)
    assert "Log out" not in other.get("/").get_data(as_text=True)
    assert user_row(app, "mina").check_password("battery staple")


@pytest.mark.parametrize(
    ("current", "new", "status", "message"),
    [
        ("wrong password", "battery staple", 400, "current password is not right"),
        ("correct horse", "short", 400, "between 8 and 200"),
    ],
)
def test_bad_password_change_is_refused(client, app, mina, current, new, status, message):
    response = post(
        client, "/settings/password", {"current_password": current, "new_password": new}
    )
    assert response.status_code == status
    assert message in response.get_data(as_text=True)
    assert user_row(app, "mina").check_password("correct horse")


def test_time_zone_is_chosen_in_settings(client, app, mina):
    page = client.get("/settings/profile").get_data(as_text=True)
    assert '<option selected value="Asia/Seoul">' in page or 'value="Asia/Seoul" selected' in page
    response = post(
        client,
        "/settings/profile",
        {"display_name": "김민아", "bio": "", "timezone": "America/New_York"},
    )
    assert response.status_code == 303
    assert user_row(app, "mina").timezone == "America/New_York"


@pytest.mark.parametrize("zone", ["Mars/Olympus", "../../etc/passwd", "asia/seoul"])
def test_unknown_time_zone_is_refused(client, app, mina, zone):
    response = post(
        client, "/settings/profile", {"display_name": "Changed", "bio": "", "timezone": zone}
    )
    assert response.status_code == 400
    assert "Choose a time zone" in response.get_data(as_text=True)
    user = user_row(app, "mina")
    assert user.timezone == "Asia/Seoul" and user.display_name == "김민아"


def test_follows_are_rate_limited_per_person(client, app, make_user, auth):
    make_user("junho")
    auth.signup("mina", "김민아")
    from tests.support.web import csrf_token

    token = csrf_token(client)
    statuses = [
        client.post(
            f"/users/junho/{'follow' if n % 2 else 'unfollow'}", data={"csrf_token": token}
        ).status_code
        for n in range(62)
    ]
    assert statuses[:60] == [303] * 60
    assert statuses[-1] == 429


def test_the_profile_service_refuses_edits_by_anyone_else(app, make_user):
    from app.services import profiles
    from app.services.errors import Forbidden

    mina = make_user("mina")
    junho = make_user("junho")
    with app.test_request_context():
        with pytest.raises(Forbidden):
            profiles.update_profile(junho, mina, display_name="Hacked", bio="hacked")
        with pytest.raises(Forbidden):
            profiles.update_bio(junho, mina, "hacked")
    user = user_row(app, "mina")
    assert user.display_name == "mina" and user.bio == ""
