"""A signed-in session stays a month past its last day of use, without a new cookie per request."""

from __future__ import annotations

from datetime import UTC, datetime


def _session_cookies(response) -> list[str]:
    return [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]


def test_a_session_slides_its_expiry_once_a_day_not_on_every_request(app, client, auth, make_user):
    make_user("mina")
    auth.login("mina")
    client.get("/")  # the first page may still store the CSRF token
    assert not _session_cookies(client.get("/"))
    assert not _session_cookies(client.get("/rooms/"))

    serializer = app.session_interface.get_signing_serializer(app)
    stored = serializer.loads(client.get_cookie("session").value)
    today = stored["day"]
    assert abs(today - datetime.now(UTC).toordinal()) <= 1
    # The same browser coming back the next day: its cookie last slid yesterday.
    client.set_cookie("session", serializer.dumps({**stored, "day": today - 1}))
    response = client.get("/")
    (cookie,) = _session_cookies(response)
    expires = datetime.strptime(
        cookie.split("Expires=")[1].split(";")[0], "%a, %d %b %Y %H:%M:%S GMT"
    )
    assert 30 <= (expires.replace(tzinfo=UTC) - datetime.now(UTC)).days <= 31
    assert serializer.loads(client.get_cookie("session").value)["day"] >= today
    assert 'action="/auth/logout"' in response.get_data(as_text=True)
    assert not _session_cookies(client.get("/"))


def test_a_visitor_browses_without_a_new_cookie_on_every_page(client):
    # The first pages store the CSRF token (and Flask-Login's freshness mark).
    first = _session_cookies(client.get("/")) + _session_cookies(client.get("/"))
    assert first and all("Expires=" not in cookie for cookie in first)  # a browser session
    for path in ("/", "/rooms/", "/leaderboard", "/"):
        assert not _session_cookies(client.get(path)), path
