"""Response headers that keep pages safe: CSP without inline script, and friends."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Response

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


def register_security_headers(app: Flask) -> None:
    """Add the security headers to every response."""
    headers = security_headers(app)

    @app.after_request
    def _headers(response: Response) -> Response:
        # One pass over the response's headers, not a case-insensitive search per header:
        # every page and post pays this.
        present = {name.lower() for name, _ in response.headers}
        for name, value in headers:
            if name.lower() not in present:
                response.headers.add(name, value)
        return response
