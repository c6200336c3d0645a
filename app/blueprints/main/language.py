"""The language switch: POST /language from the footer or the settings page."""

from __future__ import annotations

from flask import abort, current_app, request
from flask_babel import gettext as _
from flask_login import current_user

from app.blueprints.main import bp
from app.i18n import LOCALE_COOKIE, LOCALE_COOKIE_MAX_AGE, normalise_locale, supported_locales
from app.responses import safe_next, see_other
from app.services import accounts
from app.services.errors import InvalidInput


@bp.post("/language")
def switch_language():
    """Switch the language (saved for users, a cookie for visitors), then go back to `next`."""
    locale = normalise_locale(request.form.get("lang"))
    if locale is None:
        abort(400, description=_("Choose Korean or English."))
    if current_user.is_authenticated:
        try:
            accounts.set_locale(current_user, locale, supported_locales())
        except InvalidInput as error:
            abort(400, description=error.message)
    response = see_other(safe_next(request.form.get("next")))
    # Visitors keep their choice in a cookie; users get it too, so the page after logout
    # stays in the language they were reading.
    response.set_cookie(
        LOCALE_COOKIE,
        locale,
        max_age=LOCALE_COOKIE_MAX_AGE,
        secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
        httponly=True,
        samesite="Lax",
    )
    return response
