"""Talking to the app the way a browser does: CSRF tokens, htmx headers, logins."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
HTMX = {"HX-Request": "true"}


def csrf_token(client: FlaskClient, path: str = "/") -> str:
    """Fetch a page and return the CSRF token it carries."""
    html = client.get(path).get_data(as_text=True)
    match = CSRF_META.search(html)
    assert match, f"no csrf meta on {path}"
    return match.group(1)


def post(client: FlaskClient, url: str, data: dict | None = None, *, htmx: bool = False, **kwargs):
    """POST a form with a valid CSRF token, as a plain form or as htmx sends it."""
    data = dict(data or {})
    headers = dict(kwargs.pop("headers", {}))
    token = csrf_token(client)
    if htmx:
        headers.update(HTMX)
        headers["X-CSRFToken"] = token
    else:
        data.setdefault("csrf_token", token)
    return client.post(url, data=data, headers=headers, **kwargs)


class AuthActions:
    """Sign up, log in and log out through the real forms."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def signup(
        self, username: str = "mina", display_name: str = "김민아", password: str = "correct horse"
    ) -> object:
        """Sign up through the form; the client is logged in afterwards on success."""
        return post(
            self.client,
            "/auth/signup",
            {
                "username": username,
                "display_name": display_name,
                "password": password,
            },
        )

    def login(self, username: str = "mina", password: str = "correct horse", **extra):
        """Log in through the form."""
        return post(
            self.client, "/auth/login", {"username": username, "password": password, **extra}
        )

    def logout(self):
        """Log out through the POST form."""
        return post(self.client, "/auth/logout")


def browser_with(app, cookies: dict[str, str]) -> FlaskClient:
    """A second browser that carries copied cookies, as a thief's would."""
    other = app.test_client()
    for name, value in cookies.items():
        other.set_cookie(name, value)
    return other
