"""The session cookie's signer is built once, yet reads and writes Flask's own format; a
cookie verified once opens from memory, yet still expires, follows key rotation, and no
request's changes reach the next request that sends the same cookie."""

from __future__ import annotations

import time
from datetime import timedelta

from flask import request
from flask.sessions import SecureCookieSessionInterface

from app.session_cookie import CachedSessionInterface


def _signed_in(response) -> bool:
    return 'action="/auth/logout"' in response.get_data(as_text=True)


def test_the_cookie_is_flasks_own_format_both_ways(app, client, auth, make_user):
    assert isinstance(app.session_interface, CachedSessionInterface)
    make_user("mina")
    auth.login("mina")
    stock = SecureCookieSessionInterface().get_signing_serializer(app)

    # Flask's own interface reads the cookie this app wrote...
    stored = stock.loads(client.get_cookie("session").value)
    assert stored["_user_id"]

    # ...and this app reads a cookie Flask's own interface signed.
    client.set_cookie("session", stock.dumps(stored))
    assert _signed_in(client.get("/"))

    # A cookie whose signature does not match is a visitor's.
    value = stock.dumps(stored)
    client.set_cookie("session", value[:-2] + ("AA" if not value.endswith("AA") else "BB"))
    assert not _signed_in(client.get("/"))


def test_a_new_secret_key_is_used_at_once_and_the_old_one_only_as_a_fallback(
    app, client, auth, make_user
):
    make_user("mina")
    auth.login("mina")
    old_cookie = client.get_cookie("session").value
    old_key = app.secret_key
    assert _signed_in(client.get("/"))

    # The key is rotated: the cached signer must not keep accepting the old one.
    app.secret_key = "a-new-secret-for-this-test"
    client.set_cookie("session", old_cookie)
    assert not _signed_in(client.get("/"))

    # Kept as a fallback, the old key still reads yesterday's cookie...
    app.config["SECRET_KEY_FALLBACKS"] = [old_key]
    client.set_cookie("session", old_cookie)
    assert _signed_in(client.get("/"))
    # ...but what is signed now is signed with the new key alone.
    signed_now = app.session_interface.get_signing_serializer(app).dumps({"day": 1})
    app.config["SECRET_KEY_FALLBACKS"] = []
    assert SecureCookieSessionInterface().get_signing_serializer(app).loads(signed_now)
    app.secret_key = old_key
    assert not _signed_in(client.get("/"))


def _settled_cookie(client, auth, make_user) -> str:
    """Sign mina in and land on a page (which shows the welcome notice): the cookie the
    browser then sends with every request until the session changes."""
    make_user("mina")
    auth.login("mina")
    assert _signed_in(client.get("/"))
    cookie = client.get_cookie("session").value
    assert _signed_in(client.get("/"))
    assert client.get_cookie("session").value == cookie
    return cookie


def test_a_cookie_is_verified_in_full_once_then_opened_from_memory(
    app, client, auth, make_user, monkeypatch
):
    cookie = _settled_cookie(client, auth, make_user)
    serializer = app.session_interface.get_signing_serializer(app)
    reads = []
    real_loads = serializer.loads
    monkeypatch.setattr(serializer, "loads", lambda *a, **k: reads.append(a) or real_loads(*a, **k))
    for _ in range(3):
        client.set_cookie("session", cookie)
        assert _signed_in(client.get("/"))
    assert reads == []
    # A cookie it has not seen (one character changed) is checked, and refused.
    client.set_cookie("session", cookie[:-2] + ("AA" if not cookie.endswith("AA") else "BB"))
    assert not _signed_in(client.get("/"))
    assert len(reads) == 1
    # A remembered cookie is refused once its key is rotated out, and read again as a
    # fallback's.
    old_key, app.secret_key = app.secret_key, "a-newer-secret-for-this-test"
    for fallbacks, signed_in in (([], False), ([old_key], True)):
        app.config["SECRET_KEY_FALLBACKS"] = fallbacks
        client.set_cookie("session", cookie)
        assert _signed_in(client.get("/")) is signed_in


def test_a_remembered_cookie_still_expires_with_its_session(app, client, auth, make_user):
    cookie = _settled_cookie(client, auth, make_user)
    app.permanent_session_lifetime = timedelta(seconds=1)
    time.sleep(2.1)
    client.set_cookie("session", cookie)
    assert not _signed_in(client.get("/"))


def test_changing_one_requests_session_leaves_the_next_one_as_signed(app, client, auth, make_user):
    cookie = _settled_cookie(client, auth, make_user)
    interface = app.session_interface
    headers = {"Cookie": f"session={cookie}"}
    with app.test_request_context("/", headers=headers):
        first = interface.open_session(app, request)
        user_key = first["_user_id"]
        first.pop("_user_id")
        first["locale"] = "en"
        first.setdefault("_flashes", []).append(("info", "hi"))
    with app.test_request_context("/", headers=headers):
        second = interface.open_session(app, request)
        assert second["_user_id"] == user_key
        assert "locale" not in second and "_flashes" not in second
        second.setdefault("_flashes", []).append(("info", "kept?"))
    with app.test_request_context("/", headers=headers):
        assert "_flashes" not in interface.open_session(app, request)


def test_a_session_carrying_a_notice_is_read_afresh_each_time(app):
    interface = app.session_interface
    cookie = interface.get_signing_serializer(app).dumps({"_flashes": [("info", "welcome")]})
    for _ in range(2):
        with app.test_request_context("/", headers={"Cookie": f"session={cookie}"}):
            opened = interface.open_session(app, request)
            assert opened["_flashes"] == [("info", "welcome")]
            opened["_flashes"].append(("info", "added by this request"))
