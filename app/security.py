"""Response headers that keep pages safe: CSP without inline script, and friends."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask

CSP = "; ".join(
    (
        "default-src 'self'",
        "img-src 'self' data: blob:",
        "media-src 'self' blob:",
        "connect-src 'self'",  # csp_for() adds the media server's origin when there is one
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)


def csp_for(app: Flask) -> str:
    """Return the CSP for this app: the browser also talks to Janus when JANUS_URL is set."""
    janus = app.config.get("JANUS_URL")
    if not janus:
        return CSP
    parts = urlsplit(janus)
    origin = f"{parts.scheme}://{parts.netloc}"
    return CSP.replace("connect-src 'self'", f"connect-src 'self' {origin}")


def security_headers(app: Flask) -> tuple[tuple[str, str], ...]:
    """The headers every response carries unless a view set its own."""
    headers = [
        ("Content-Security-Policy", csp_for(app)),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "same-origin"),
        ("X-Frame-Options", "DENY"),
        ("Permissions-Policy", "camera=(self), microphone=(self), geolocation=()"),
    ]
    if app.config.get("PRODUCTION"):
        headers.append(("Strict-Transport-Security", "max-age=31536000; includeSubDomains"))
    return tuple(headers)


class SecurityHeaders:
    """WSGI middleware: add `headers` to every response of the app it wraps, unless the
    response set one of them itself.

    Werkzeug's `Headers.add` checks each name and value it is given, and an after-request
    hook paid that for five constant headers on every page and every chat post (about
    2 % of a post's instructions, docs/benchmarks.md, "Fast path, twenty-first round").
    These pairs are checked once, here, and appended to the list the server is handed.
    """

    def __init__(self, wsgi_app, headers: tuple[tuple[str, str], ...]) -> None:
        self.wsgi_app = wsgi_app
        self.headers = [(name, value, name.lower()) for name, value in headers]

    def __call__(self, environ, start_response):
        """Serve the request, adding the headers as the response starts."""

        def start_with_headers(status, response_headers, exc_info=None):
            present = {name.lower() for name, _ in response_headers}
            response_headers.extend(
                (name, value) for name, value, lowered in self.headers if lowered not in present
            )
            return start_response(status, response_headers, exc_info)

        return self.wsgi_app(environ, start_with_headers)


def register_security_headers(app: Flask) -> None:
    """Add the security headers to every response Flask itself serves.

    Called before Flask-SocketIO wraps the app, so the middleware sits inside it: the
    Engine.IO transport's own answers (and its WebSocket handshake) are left as they were.
    """
    app.wsgi_app = SecurityHeaders(app.wsgi_app, security_headers(app))
