"""The base layout: error pages, security headers, health check, htmx fragments."""

from __future__ import annotations

import pytest

from tests.conftest import make_app
from tests.support.services import free_port


def test_home_page_for_visitors(client):
    response = client.get("/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Sign up" in html and "Log in" in html
    assert "<script>" not in html.replace("<script src=", "")


def test_security_headers(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "script-src" not in csp or "'unsafe-inline'" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_no_cdn_and_pinned_vendor_files(client):
    html = client.get("/auth/login").get_data(as_text=True)
    assert "htmx-2.0.11.min.js" in html
    assert "//cdn" not in html and "unpkg" not in html and "jsdelivr" not in html
    assert client.get("/static/vendor/htmx-2.0.11.min.js").status_code == 200


def test_socket_client_is_loaded_only_for_members(client, auth, make_user):
    assert "socket.io" not in client.get("/").get_data(as_text=True)
    make_user("mina")
    auth.login("mina")
    assert "socket.io-4.8.4.min.js" in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("status", [400, 403, 404, 409, 429, 500])
def test_error_pages_full_and_fragment(status):
    from werkzeug.exceptions import abort

    from app.services.errors import Conflict

    app = make_app()

    @app.get("/boom/<int:code>")
    def boom(code: int):
        if code == 409:
            raise Conflict("The room is full.")
        if code == 500:
            raise RuntimeError("kaboom")
        abort(code)

    client = app.test_client()
    full = client.get(f"/boom/{status}")
    assert full.status_code == status
    page = full.get_data(as_text=True)
    assert page.startswith("<!doctype html>") and f">{status}<" in page
    assert "HX-Request" in full.headers["Vary"]
    assert "kaboom" not in page

    fragment = client.get(f"/boom/{status}", headers={"HX-Request": "true"})
    assert fragment.status_code == status
    body = fragment.get_data(as_text=True)
    assert "<html" not in body and 'role="alert"' in body
    assert fragment.headers["HX-Retarget"] == "#toasts"
    if status == 409:
        assert "The room is full." in body


def test_healthz_without_redis():
    response = make_app(REDIS_URL=None).test_client().get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "db": "ok", "redis": "disabled"}


def test_healthz_with_redis(redis_url):
    client = make_app(REDIS_URL=redis_url).test_client()
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "db": "ok", "redis": "ok", "degraded": []}


def test_healthz_with_redis_down_still_serves():
    client = make_app(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0").test_client()
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {
        "status": "degraded",
        "db": "ok",
        "redis": "error",
        "degraded": ["presence", "rate_limits", "realtime"],
    }


def test_healthz_with_database_down():
    client = make_app(SQLALCHEMY_DATABASE_URI=f"postgresql://nobody@127.0.0.1:{free_port()}/x")
    response = client.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["db"] == "error"
