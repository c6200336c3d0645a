"""Locale and time zone choice for Flask-Babel."""

from __future__ import annotations

from flask import current_app, request
from flask_login import current_user


def select_locale() -> str | None:
    """Pick the best supported language from the browser's Accept-Language."""
    return request.accept_languages.best_match(current_app.config["LANGUAGES"]) or "en"


def select_timezone() -> str:
    """Show times in the viewer's own time zone (Asia/Seoul unless they chose another)."""
    if current_user and current_user.is_authenticated:
        return current_user.timezone
    return current_app.config["DEFAULT_USER_TIMEZONE"]
