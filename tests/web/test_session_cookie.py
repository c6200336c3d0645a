"""The session cookie's signer is built once, yet reads and writes Flask's own format."""

from __future__ import annotations

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
