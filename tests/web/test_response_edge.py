"""What every response carries, added once at the edge of the app (app/security.py,
app/rate_limits.py, app/__init__.py's EncoreFlask): the security headers, the rate-limit
headers where a limit was checked, and hooks run as plain functions."""

from __future__ import annotations

import pytest

from app.security import security_headers

SECURITY = ("Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy")


@pytest.mark.parametrize(
    "method, path",
    [
        ("GET", "/"),  # a page
        ("GET", "/no/such/page"),  # an error page
        ("GET", "/static/vendor/htmx-2.0.11.min.js"),  # a static file
        ("POST", "/auth/login"),  # a refused form (no CSRF token)
    ],
)
def test_every_flask_answer_carries_the_security_headers_once(client, app, method, path):
    response = client.open(path, method=method)
    expected = dict(security_headers(app))
    for name in SECURITY:
        assert len(response.headers.getlist(name)) == 1, (path, name)
        assert response.headers[name] == expected[name]


def test_a_view_that_sets_its_own_policy_keeps_it(app):
    own = "default-src 'none'; sandbox"

    @app.get("/test/own-policy")
    def own_policy():
        return "", 200, {"Content-Security-Policy": own}

    response = app.test_client().get("/test/own-policy")
    assert response.headers.getlist("Content-Security-Policy") == [own]
    assert response.headers["X-Frame-Options"] == "DENY"


def test_the_socket_transport_answers_without_the_page_headers(client):
    # The headers are added inside Flask-SocketIO's middleware: Engine.IO's own answers
    # (here a polling handshake) are not Flask pages.
    response = client.get("/socket.io/?EIO=4&transport=polling")
    assert response.status_code == 200
    assert response.get_data(as_text=True).startswith("0{")
    assert "Content-Security-Policy" not in response.headers


def test_a_limited_view_reports_its_limit_and_an_unlimited_one_does_not(client):
    # /r/<code> allows 60 guesses a minute from one address (app/blueprints/invites).
    first = client.get("/r/" + "q" * 22)
    second = client.get("/r/" + "q" * 22)
    assert first.headers["X-RateLimit-Limit"] == "60"
    assert int(second.headers["X-RateLimit-Remaining"]) == (
        int(first.headers["X-RateLimit-Remaining"]) - 1
    )
    # Straight after a limited request, a request that checks no limit reports none.
    assert "X-RateLimit-Limit" not in client.get("/auth/login").headers
    for _ in range(58):
        client.get("/r/" + "q" * 22)
    refused = client.get("/r/" + "q" * 22)
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    assert refused.headers["X-RateLimit-Remaining"] == "0"


def test_plain_functions_are_asked_about_once_and_async_ones_every_time(app):
    def plain():
        return "plain"

    async def coroutine():
        return "async"

    assert app.ensure_sync(plain) is plain
    assert app.ensure_sync(plain) is plain
    # Without asgiref installed, Flask refuses an async function; the memo must not turn
    # that refusal into a plain call.
    for _ in range(2):
        with pytest.raises(RuntimeError):
            app.ensure_sync(coroutine)


def test_callables_made_per_request_do_not_grow_the_memo_forever(app):
    for _ in range(app.RUNNABLE_MEMO + 500):
        app.ensure_sync(lambda: None)
    assert len(app._runnable) <= app.RUNNABLE_MEMO
