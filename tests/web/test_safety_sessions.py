"""Logging out, changing the password and a ban end sessions on the server, not just the browser."""

from __future__ import annotations

from app.extensions import db, socketio
from app.models import User
from tests.support.web import AuthActions, browser_with, post


def _cookies(client) -> dict[str, str]:
    """Copy the browser's session and remember cookies, as a thief would."""
    return {
        name: client.get_cookie(name).value
        for name in ("session", "remember_token")
        if client.get_cookie(name) is not None
    }


def _home_says_logged_in(client) -> bool:
    """Tell whether the page a browser sees is the logged-in home (it has a logout form)."""
    return 'action="/auth/logout"' in client.get("/").get_data(as_text=True)


def test_a_copied_session_cookie_stops_working_after_logout(app, client, auth, make_user):
    make_user("mina")
    auth.login("mina")
    stolen = _cookies(client)
    thief = browser_with(app, stolen)
    assert _home_says_logged_in(thief)
    auth.logout()
    assert not _home_says_logged_in(thief)
    response = thief.get("/settings/profile")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login")
    htmx = thief.get("/settings/profile", headers={"HX-Request": "true"})
    assert htmx.status_code == 401
    assert htmx.headers["HX-Redirect"].startswith("/auth/login")


def test_the_old_remember_cookie_stops_working_after_logout(app, client, auth, make_user):
    make_user("mina")
    auth.login("mina", remember="y")
    remember = client.get_cookie("remember_token")
    assert remember is not None
    # Only the year-long remember cookie, no session: Flask-Login restores from it.
    thief = browser_with(app, {"remember_token": remember.value})
    assert _home_says_logged_in(thief)
    auth.logout()
    fresh = browser_with(app, {"remember_token": remember.value})
    assert not _home_says_logged_in(fresh)
    assert fresh.get("/settings/profile").status_code == 302


def test_a_replayed_logged_out_cookie_is_refused_on_socket_connect(app, client, auth, make_user):
    make_user("mina")
    auth.login("mina", remember="y")
    stolen = _cookies(client)
    before = browser_with(app, stolen)
    sock = socketio.test_client(app, flask_test_client=before)
    assert sock.is_connected()
    sock.disconnect()
    auth.logout()
    for cookies in (stolen, {"remember_token": stolen["remember_token"]}):
        after = browser_with(app, cookies)
        sock = socketio.test_client(app, flask_test_client=after)
        assert not sock.is_connected()


def test_a_password_change_ends_other_sessions_and_keeps_this_one(app, make_user):
    make_user("mina")
    phone, laptop = app.test_client(), app.test_client()
    AuthActions(phone).login("mina")
    AuthActions(laptop).login("mina", remember="y")
    response = post(
        phone,
        "/settings/password",
        {"current_password": "correct horse", "new_password": "new battery staple"},
    )
    assert response.status_code == 303
    assert _home_says_logged_in(phone)
    assert not _home_says_logged_in(laptop)
    assert not socketio.test_client(app, flask_test_client=laptop).is_connected()


def test_a_ban_ends_sessions_and_refuses_login(app, client, auth, make_user):
    from app.services import modlog, sanctions

    target = make_user("mina")
    moderator = make_user("mod")
    auth.login("mina")
    with app.app_context():
        modlog.set_moderator("mod")
        sanctions.do_ban(moderator, target, "spam", 3)
    assert not _home_says_logged_in(client)
    assert not socketio.test_client(app, flask_test_client=client).is_connected()
    refused = auth.login("mina")
    assert refused.status_code == 403
    assert "suspended" in refused.get_data(as_text=True)
    with app.app_context():
        sanctions.lift_ban(moderator, target)
    assert auth.login("mina").status_code == 303


def test_logout_rotates_the_stored_token(app, client, auth, make_user):
    user_id = make_user("mina")
    auth.login("mina")
    with app.app_context():
        before = db.session.get(User, user_id).session_token
    auth.logout()
    with app.app_context():
        assert db.session.get(User, user_id).session_token != before


def test_logout_closes_the_sockets_of_every_session(app, make_user):
    make_user("mina")
    phone, laptop = app.test_client(), app.test_client()
    AuthActions(phone).login("mina")
    AuthActions(laptop).login("mina")
    laptop_socket = socketio.test_client(app, flask_test_client=laptop)
    laptop_socket.get_received()
    response = AuthActions(phone).logout()
    response.close()  # what a WSGI server does once the response is sent
    # The server closes the other device's socket itself (app/realtime/socket_actions.py).
    assert not laptop_socket.is_connected()
    assert not _home_says_logged_in(laptop)


def test_a_password_change_closes_the_other_sessions_sockets_and_keeps_this_ones(app, make_user):
    make_user("mina")
    make_user("junho")
    phone, laptop, other = app.test_client(), app.test_client(), app.test_client()
    AuthActions(phone).login("mina")
    AuthActions(laptop).login("mina")
    AuthActions(other).login("junho")
    phone_socket = socketio.test_client(app, flask_test_client=phone)
    laptop_socket = socketio.test_client(app, flask_test_client=laptop)
    other_socket = socketio.test_client(app, flask_test_client=other)
    for sock in (phone_socket, laptop_socket, other_socket):
        assert sock.is_connected()
        sock.get_received()
    wrong = post(
        phone,
        "/settings/password",
        {"current_password": "not it", "new_password": "new battery staple"},
    )
    assert wrong.status_code == 400
    assert laptop_socket.is_connected()  # a refused change closes nothing
    response = post(
        phone,
        "/settings/password",
        {"current_password": "correct horse", "new_password": "new battery staple"},
    )
    assert response.status_code == 303
    # The laptop is told it was signed out, then its socket is closed by the server.
    assert not laptop_socket.is_connected()
    # The browser that changed the password keeps its socket and its session;
    # somebody else's socket is untouched.
    assert phone_socket.is_connected()
    assert other_socket.is_connected()
    assert not any(event["name"] == "notice" for event in phone_socket.get_received())
    assert _home_says_logged_in(phone)
    assert socketio.test_client(app, flask_test_client=phone).is_connected()
    assert not socketio.test_client(app, flask_test_client=laptop).is_connected()
