"""Every answer names what it varies by, each name once: htmx or not, the cookie and the
language (app/responses.py `add_vary`, app/i18n.py)."""

from __future__ import annotations

from flask import Response

from app.responses import add_vary


def _names(response) -> list[str]:
    return [part.strip().lower() for part in response.headers["Vary"].split(",")]


def test_add_vary_adds_each_name_once_and_keeps_the_rest():
    response = Response("x")
    add_vary(response, "HX-Request")
    add_vary(response, "Cookie", "hx-request", "Accept-Language")
    add_vary(response, "accept-language")
    assert response.headers["Vary"] == "HX-Request, Cookie, Accept-Language"
    response.headers["Vary"] = "Origin"
    add_vary(response, "Cookie")
    assert response.headers["Vary"] == "Origin, Cookie"
    # werkzeug reads what it wrote.
    assert list(response.vary) == ["Origin", "Cookie"]


def test_pages_and_fragments_vary_by_htmx_cookie_and_language(client, auth, make_user):
    make_user("mina")
    auth.login("mina")
    for headers in ({}, {"HX-Request": "true"}):
        response = client.get("/rooms/", headers=headers)
        assert response.status_code == 200
        names = _names(response)
        assert sorted(names) == sorted(set(names))
        assert {"hx-request", "cookie", "accept-language"} <= set(names)
        assert response.headers["Content-Language"] in ("ko", "en")
