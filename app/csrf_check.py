"""The CSRF check on every state-changing request, remembering the tokens it has verified.

Flask-WTF verifies the submitted token afresh on every request: it builds a signing
serializer, derives its key, checks the HMAC and decodes the payload, about a tenth of a
chat post's own Python work. A composer sends the same token (from the page's meta tag)
with every line, so the check is done in full once per token and process; after that a
request that sends the same token, with the same secret in its session, passes on a dict
lookup and a constant-time compare.

Only tokens that never expire are remembered (`WTF_CSRF_TIME_LIMIT = None`, Encore's
setting): with a time limit, every request takes the full check. A miss, a missing or
wrong token, an exempt view and a form-field token all go through Flask-WTF's own
`protect()`, so their answers (400 with the reason) stay Flask-WTF's. Over HTTPS, the
remembered path makes the same referrer check Flask-WTF makes.
"""

from __future__ import annotations

import hmac

from flask import Flask, current_app, g, request, session
from flask_wtf.csrf import CSRFError, CSRFProtect, same_origin

# Enough for every session a process serves between restarts; past it the memo starts over.
REMEMBERED_TOKENS = 50_000


class VerifiedTokens:
    """Tokens this process has verified in full, each with the session secret it matched."""

    def __init__(self, limit: int = REMEMBERED_TOKENS) -> None:
        self.limit = limit
        self._secrets: dict[str, str] = {}

    def matches(self, token: str, secret: str) -> bool:
        """Tell whether `token` was verified before against this very `secret`."""
        known = self._secrets.get(token)
        return known is not None and hmac.compare_digest(known, secret)

    def remember(self, token: str, secret: str) -> None:
        """Keep `token` as verified against `secret`."""
        if len(self._secrets) >= self.limit:
            self._secrets.clear()
        self._secrets[token] = secret


def _header_token() -> str | None:
    """The token an htmx or fetch request sends in a header (WTF_CSRF_HEADERS)."""
    for name in current_app.config["WTF_CSRF_HEADERS"]:
        token = request.headers.get(name)
        if token:
            return token
    return None


def _check_referrer() -> None:
    """Flask-WTF's rule over HTTPS: the referrer must be this very host (else 400)."""
    if not (request.is_secure and current_app.config["WTF_CSRF_SSL_STRICT"]):
        return
    if not request.referrer:
        raise CSRFError("The referrer header is missing.")
    if not same_origin(request.referrer, f"https://{request.host}/"):
        raise CSRFError("The referrer does not match the host.")


def _only_header_token(field: str) -> bool:
    """Tell whether the header token is the one Flask-WTF checked: no form field beat it."""
    return not any(key.endswith(field) and request.form[key] for key in request.form)


def init_csrf_check(app: Flask, csrf: CSRFProtect) -> None:
    """Check CSRF before each request through `csrf`, remembering verified tokens."""
    csrf.init_app(app)
    # Flask-WTF's own before-request hook stands aside; the one below calls its protect().
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    verified = VerifiedTokens()

    @app.before_request
    def check_csrf() -> None:
        config = app.config
        if not config["WTF_CSRF_ENABLED"] or request.method not in config["WTF_CSRF_METHODS"]:
            return
        field = config["WTF_CSRF_FIELD_NAME"]
        secret = session.get(field)
        token = _header_token()
        remembering = config["WTF_CSRF_TIME_LIMIT"] is None and bool(token) and bool(secret)
        if remembering and verified.matches(token, secret):
            _check_referrer()
            g.csrf_valid = True
            return
        csrf.protect(apply_exemptions=True)
        # Flask-WTF prefers a form field to the header: remember the header token only
        # when it is the one that was verified.
        if remembering and g.get("csrf_valid") and _only_header_token(field):
            verified.remember(token, secret)
