"""Local accounts through the real forms: signup, login, logout, sessions."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import User
from tests.support.web import post


def user_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(User.id)))


def test_signup_logs_in_and_keeps_korean_display_name(client, auth, app):
    response = auth.signup("mina", "김민아 🎤", "correct horse")
    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    page = client.get("/").get_data(as_text=True)
    assert "Log out" in page
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username_key == "mina"))
        assert user.display_name == "김민아 🎤"
        assert user.password_hash and "correct horse" not in user.password_hash


@pytest.mark.parametrize(
    ("username", "display_name", "password", "message"),
    [
        ("ab", "Mina", "correct horse", "between 3 and 30"),
        ("민아야", "Mina", "correct horse", "Usernames are 3–30"),
        ("mina!", "Mina", "correct horse", "Usernames are 3–30"),
        ("x" * 31, "Mina", "correct horse", "between 3 and 30"),
        ("mina", "", "correct horse", "This field is required"),
        ("mina", "가" * 41, "correct horse", "between 1 and 40"),
        ("mina", "Mina", "short", "between 8 and 200"),
    ],
)
def test_signup_rejects_bad_input_and_writes_nothing(
    client, auth, app, username, display_name, password, message
):
    response = auth.signup(username, display_name, password)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert user_count(app) == 0


def test_signup_keeps_what_was_typed(auth):
    response = auth.signup("mina", "김민아", "short")
    html = response.get_data(as_text=True)
    assert 'value="mina"' in html and 'value="김민아"' in html
    assert "short" not in re.findall(r'name="password"[^>]*', html)[0]


def test_duplicate_username_is_refused_whatever_the_case(client, auth, app, make_user):
    make_user("Mina")
    response = auth.signup("mINA", "Another", "correct horse")
    assert response.status_code == 409
    assert "That username is taken." in response.get_data(as_text=True)
    assert user_count(app) == 1


def test_login_and_logout(client, auth, make_user):
    make_user("junho", "박준호")
    assert auth.login("JUNHO", "correct horse").status_code == 303
    home = client.get("/").get_data(as_text=True)
    assert "박준호" in home and "Log out" in home
    response = auth.logout()
    assert response.status_code == 303
    assert "Log in" in client.get("/").get_data(as_text=True)


def test_logout_is_post_only(client, auth, make_user):
    make_user("junho")
    auth.login("junho")
    assert client.get("/auth/logout").status_code == 405


def test_wrong_password_is_refused(client, auth, make_user):
    make_user("junho")
    response = auth.login("junho", "wrong password")
    assert response.status_code == 401
    assert "do not match" in response.get_data(as_text=True)
    assert "Log in" in client.get("/").get_data(as_text=True)


def test_session_cookie_flags_and_new_session_at_login(client, auth, make_user):
    make_user("junho")
    client.get("/auth/login")
    before = client.get_cookie("session")
    response = auth.login("junho")
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    after = client.get_cookie("session")
    assert before is not None and after.value != before.value
    with client.session_transaction() as session:
        first_sid = session["sid"]
    auth.logout()
    auth.login("junho")
    with client.session_transaction() as session:
        assert session["sid"] != first_sid


def test_session_ends_when_token_rotates(client, auth, make_user, app):
    user_id = make_user("junho")
    auth.login("junho")
    with app.app_context():
        from app.services.accounts import end_all_sessions

        end_all_sessions(db.session.get(User, user_id))
    assert "Log in" in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize(
    "payload",
    [
        "//evil.com",
        "/\\evil.com",
        "\\\\evil.com",
        "https:evil.com",
        "https://evil.com/",
        "javascript:alert(1)",
        "\t//evil.com",
        "http:/evil.com",
    ],
)
def test_login_next_open_redirects_land_home(client, auth, make_user, payload):
    make_user("junho")
    response = auth.login("junho", next=payload)
    assert response.status_code == 303
    assert response.headers["Location"] == "/"


def test_login_honours_a_safe_next(client, auth, make_user):
    make_user("junho")
    response = auth.login("junho", next="/healthz?x=1")
    assert response.headers["Location"] == "/healthz?x=1"


def test_failed_logins_are_rate_limited_per_username(client, auth, make_user):
    make_user("junho")
    statuses = [auth.login("junho", "wrong password").status_code for _ in range(6)]
    assert statuses[:5] == [401] * 5
    assert statuses[5] == 429
    limited = auth.login("junho", "correct horse")
    assert limited.status_code == 429
    assert "Too many requests" in limited.get_data(as_text=True)
    assert limited.headers.get("Retry-After")


def test_failed_logins_are_rate_limited_per_ip(app, client, auth):
    statuses = [auth.login(f"nobody{i}", "wrong password").status_code for i in range(21)]
    assert statuses[:20] == [401] * 20
    assert statuses[20] == 429


def test_successful_logins_do_not_count(client, auth, make_user):
    make_user("junho")
    for _ in range(7):
        assert auth.login("junho").status_code == 303
        auth.logout()


def test_signup_page_is_escaped(client, auth):
    response = auth.signup("mina", "<script>alert(1)</script>", "short")
    html = response.get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html


def test_htmx_post_without_csrf_gets_a_fragment(client):
    response = client.post("/auth/logout", headers={"HX-Request": "true"})
    assert response.status_code == 400
    assert response.headers["HX-Retarget"] == "#toasts"
    assert "<html" not in response.get_data(as_text=True)


def test_csrf_token_in_header_is_accepted(client, auth, make_user):
    make_user("junho")
    auth.login("junho")
    response = post(client, "/auth/logout", htmx=True)
    assert response.status_code == 303
