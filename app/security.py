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


def register_security_headers(app: Flask) -> None:
    """Add the security headers to every response."""
    csp = csp_for(app)

    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", csp)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault(
            "Permissions-Policy", "camera=(self), microphone=(self), geolocation=()"
        )
        if app.config.get("PRODUCTION"):
            response.headers.setdefault(
                "Strict-Transport-Security", "max-age=31536000; includeSubDomains"
            )
        return response
