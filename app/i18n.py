"""Which language and time zone a request is served in, and how dates are written.

Korean first: a signed-in user's saved choice wins, then a visitor's cookie, then the
browser's Accept-Language, then Korean. Every date goes through the filters here, so each
kind of date looks the same on every page.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal
from functools import lru_cache

import babel.dates
import babel.numbers
import flask_babel
from babel import Locale
from flask import Flask, Response, current_app, request
from flask_babel import Domain, format_datetime
from flask_babel import get_locale as babel_locale
from flask_login import current_user
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from app.responses import add_vary

LOCALE_COOKIE = "encore_lang"
LOCALE_COOKIE_MAX_AGE = 60 * 60 * 24 * 365


class RequestDomain(Domain):
    """The message catalogue, looked up once per request instead of once per string.

    Flask-Babel finds the translations for every `_()` call anew (context, locale, its
    identifier, a dictionary lookup), and a page translates a hundred or more strings. The
    answer is kept beside the locale Flask-Babel keeps for the request and is reused while
    that very locale object is current, so `flask_babel.refresh()` and `force_locale()`,
    which replace it, still switch language at once.
    """

    def get_translations(self):
        """Return the catalogue of the request's locale (memoised per request)."""
        ctx = flask_babel._get_current_context()
        if ctx is None:
            return super().get_translations()
        memo = getattr(ctx, "encore_translations", None)
        locale = getattr(ctx, "babel_locale", None)
        if memo is not None and locale is not None and memo[0] is locale and memo[1] is self:
            return memo[2]
        translations = super().get_translations()
        ctx.encore_translations = (getattr(ctx, "babel_locale", None), self, translations)
        return translations


def _formatted(context: Context, text: str, variables: dict) -> str:
    """Fill a translated template string the way Jinja's new-style gettext does."""
    # The catalogue is our own reviewed text, as in Jinja's own callables; the values
    # formatted into it are escaped by Markup's `%`.
    return (Markup(text) if context.eval_ctx.autoescape else text) % variables  # noqa: S704


def translations_for_render() -> dict:
    """`_()` and `ngettext()` for one render_template call, bound to its catalogue.

    Flask-Babel's template callables look the catalogue up through the request context on
    every call, and the stage translates two hundred strings. These are bound to the
    catalogue once per render (so `force_locale` around a render still switches language)
    and keep Jinja's new-style rules: the result is markup-safe and always `%`-formatted,
    so every placeholder value is escaped.
    """
    catalogue = flask_babel.get_translations()

    @pass_context
    def gettext(context: Context, message: str, **variables) -> str:
        return _formatted(context, catalogue.ugettext(message), variables)

    @pass_context
    def ngettext(context: Context, singular: str, plural: str, num: int, **variables) -> str:
        variables.setdefault("num", num)
        return _formatted(context, catalogue.ungettext(singular, plural, num), variables)

    return {"gettext": gettext, "ngettext": ngettext}


def install_request_domain(babel: flask_babel.Babel) -> None:
    """Make `babel` use RequestDomain for its default domain (before the first request)."""
    # `domain_instance` is a cached property: setting it replaces the plain Domain.
    babel.domain_instance = RequestDomain(domain=babel.domain)


def supported_locales() -> tuple[str, ...]:
    """Return the languages Encore is translated into, the default first."""
    return tuple(current_app.config["LANGUAGES"])


def normalise_locale(value: str | None) -> str | None:
    """Return `value` if it names a supported language, else None."""
    value = (value or "").strip().lower()
    return value if value in supported_locales() else None


@lru_cache(maxsize=16)
def _locale(code: str) -> Locale:
    # Flask-Babel parses the selector's answer on every request; a Locale it is handed
    # passes through. The supported languages are a handful, so each is parsed once.
    return Locale.parse(code)


def select_locale() -> Locale:
    """Pick the language: saved preference, then cookie, then Accept-Language, then Korean."""
    return _locale(_chosen_language())


def _signed_in_user():
    """The signed-in user, or None: `current_user` resolved once.

    Every attribute read through the `current_user` proxy looks the user up again through
    three more context proxies, about a microsecond each; these run on every request.
    """
    user = current_user._get_current_object()
    return user if user is not None and user.is_authenticated else None


def _chosen_language() -> str:
    user = _signed_in_user()
    saved = normalise_locale(user.locale) if user is not None else None
    if saved:
        return saved
    cookie = normalise_locale(request.cookies.get(LOCALE_COOKIE))
    if cookie:
        return cookie
    best = request.accept_languages.best_match(supported_locales())
    return best or current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    """Show times in the viewer's own time zone (Asia/Seoul unless they chose another)."""
    user = _signed_in_user()
    if user is not None:
        return user.timezone
    return current_app.config["DEFAULT_USER_TIMEZONE"]


def current_locale() -> str:
    """Return the language this response is served in, as a plain code ("ko", "en")."""
    return str(babel_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])


def iso_datetime(value: datetime | None) -> str:
    """Write `value` for `<time datetime>`: UTC, whole seconds, as the HTML checker wants."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


@lru_cache(maxsize=4096)
def _day_in(day: date, locale: str, pattern: str) -> str:
    return babel.dates.format_date(day, pattern, locale=locale)


def format_day(value: datetime | date, pattern: str) -> str:
    """Write the viewer's calendar day of `value` with a Babel `pattern` ("long", "MMM d").

    Babel parses the pattern and loads the locale's data on every call, and a profile writes
    thirty days; the result depends only on the local day, the language and the pattern, so
    it is kept.
    """
    if isinstance(value, datetime):
        value = flask_babel.to_user_timezone(value).date()
    return _day_in(value, current_locale(), pattern)


def date_long(value: datetime | None) -> str:
    """A calendar day, written out ("2026년 11월 30일", "November 30, 2026")."""
    return format_day(value, "long") if value is not None else ""


def datetime_short(value: datetime | None) -> str:
    """A moment with its day ("2026. 11. 30. 오후 3:07", "11/30/26, 3:07 PM")."""
    return format_datetime(value, "short") if value is not None else ""


@lru_cache(maxsize=8192)
def _clock(minute: int, zone: tzinfo) -> str:
    # `fromtimestamp` converts through the zone's own `fromutc`, which pytz zones get right
    # across daylight-saving changes without the `normalize` step Flask-Babel adds.
    return datetime.fromtimestamp(minute * 60, zone).strftime("%H:%M")


def time_short(value: datetime | None, zone: tzinfo | None = None) -> str:
    """A time of day for chat lines ("15:07"), the same in both languages.

    `zone` is the viewer's time zone (`flask_babel.get_timezone()`) when the caller has it
    already: a page of fifty lines looked it up fifty times.
    """
    # A chat line writes this for every post and every line of a page. "HH:mm" needs no
    # locale, and it depends only on the minute and the zone, so each minute of each zone
    # is converted once: a room's posts in the same minute share it. (Every zone's offset
    # today is whole minutes, so flooring to the minute in UTC floors it locally too.)
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return _clock(int(value.timestamp() // 60), zone or flask_babel.get_timezone())


@lru_cache(maxsize=4096)
def _decimal_in(value: float | int | Decimal, locale: str, pattern: str | None) -> str:
    # Kept for the same reason as _day_in: Babel parses the pattern on every call.
    return babel.numbers.format_decimal(value, pattern, locale=locale)


def number(value: float | int | None) -> str:
    """A count or score in the viewer's number format."""
    return _decimal_in(value, current_locale(), None) if value is not None else ""


def score(value: float | None) -> str:
    """An average score, always with two decimals ("7.67"), as the show rules round it."""
    return _decimal_in(value, current_locale(), "0.00") if value is not None else ""


def register_i18n(app: Flask) -> None:
    """Install the date filters and mark every response as varying by language."""
    from flask_babel import format_timedelta

    def ago(value: datetime | None) -> str:
        """How long ago `value` was ("3분 전", "3 minutes ago")."""
        if value is None:
            return ""
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return format_timedelta(value - datetime.now(UTC), add_direction=True)

    app.add_template_filter(iso_datetime, "iso")
    app.add_template_filter(date_long, "date_long")
    app.add_template_filter(datetime_short, "datetime_short")
    app.add_template_filter(time_short, "time_short")
    app.add_template_filter(ago, "ago")
    app.add_template_filter(number, "number")
    app.add_template_filter(score, "score")

    app.context_processor(translations_for_render)

    @app.after_request
    def _vary_on_language(response: Response) -> Response:
        # The same URL is served in Korean or English depending on the cookie (or the
        # session, for users) and Accept-Language; no shared cache may mix them.
        if response.mimetype in ("text/html", "application/json"):
            add_vary(response, "Cookie", "Accept-Language")
            if "Content-Language" not in response.headers:
                response.headers["Content-Language"] = current_locale()
        return response
