"""The rate limit every picture upload shares (highlight photos and avatars)."""

from __future__ import annotations

from flask import current_app
from flask_limiter.util import get_remote_address
from flask_login import current_user


def upload_rate_limit() -> str:
    """Return the configured limit, e.g. "10 per minute;60 per hour"."""
    return current_app.config["UPLOAD_RATE_LIMIT"]


def uploader_key() -> str:
    """Count uploads per person (per address for a visitor, who is refused anyway)."""
    if current_user.is_authenticated:
        return f"upload:user:{current_user.id}"
    return f"upload:ip:{get_remote_address()}"
