"""Error pages: each status as a full page, or as a fragment that htmx shows in the toasts."""

from __future__ import annotations

import logging

from flask import Flask, Response, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

from app.extensions import db
from app.responses import is_htmx, varying
from app.services.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidInput,
    NotFound,
    SessionEnded,
    TooMany,
    Unavailable,
)
from app.services.images import ImageTooLarge

log = logging.getLogger(__name__)

# Seconds a client should wait before retrying while the database is away.
DATABASE_RETRY_SECONDS = 5
QUERY_CANCELED = "57014"  # PostgreSQL's SQLSTATE for a cancelled statement (a timeout)


# Human titles per status; each is translated only when a page shows it, so an error (a
# shed request above all) does not translate the other ten.
_TITLES = {
    400: _l("That did not look right"),
    401: _l("Please log in"),
    403: _l("Not allowed"),
    404: _l("Not found"),
    405: _l("Not allowed"),
    409: _l("That clashes with what is happening"),
    413: _l("That file is too large"),
    429: _l("Too many requests"),
    500: _l("Something went wrong on our side"),
    503: _l("Back in a moment"),
}


# The HTTP status of each kind of domain error; a subclass answers like its nearest listed
# ancestor. Services never name statuses.
STATUSES: dict[type[DomainError], int] = {
    InvalidInput: 400,
    SessionEnded: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    ImageTooLarge: 413,
    TooMany: 429,
    Unavailable: 503,
}


def status_for(error: DomainError) -> int:
    """Return the HTTP status that answers `error`."""
    for kind in type(error).__mro__:
        if kind in STATUSES:
            return STATUSES[kind]
    return 400


def form_error(form, error: DomainError, default_field: str) -> int:
    """Show `error` under the form field it names (else `default_field`); return its status.

    Whatever the refused request began is rolled back, so the re-rendered form writes nothing.
    """
    db.session.rollback()
    field = getattr(form, error.field or default_field, None) or getattr(form, default_field)
    field.errors = [*field.errors, error.message]
    return status_for(error)


def render_error(
    status: int, message: str | None = None, *, retry_after: int | None = None
) -> Response:
    """Render an error page, or the toast fragment for htmx, with the right status."""
    title = str(_TITLES.get(status) or _("Something went wrong"))
    context = {"status": status, "title": title, "message": message}
    if is_htmx():
        response = varying(render_template("errors/_error.html", **context), status)
        # Show the error as a toast instead of replacing whatever the request targeted.
        response.headers["HX-Retarget"] = "#toasts"
        response.headers["HX-Reswap"] = "afterbegin"
    else:
        response = varying(render_template("errors/page.html", **context), status)
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    return response


def register_error_handlers(app: Flask) -> None:
    """Install the handlers for domain errors, CSRF failures and HTTP errors."""

    @app.errorhandler(DomainError)
    def _domain(error: DomainError):
        db.session.rollback()
        # TooMany says when to come back, and so may an Unavailable.
        retry = error.retry_after if isinstance(error, TooMany | Unavailable) else None
        return render_error(status_for(error), error.message, retry_after=retry)

    @app.errorhandler(CSRFError)
    def _csrf(error: CSRFError):
        return render_error(
            400, _("Your session form expired or was missing its security token. Please try again.")
        )

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException):
        if error.code is None or error.code < 400:
            return error
        message = None
        if error.code == 429:
            message = _("You are going a little fast. Wait a moment and try again.")
            response = render_error(429, message, retry_after=_retry_after(error))
            return response
        if error.code == 413 and (request.endpoint or "").startswith("posts."):
            message = _("A highlight takes up to 4 photos of 8 MB each.")
        elif error.code == 413:
            message = _("Files must be 5 MB or smaller.")
        elif (
            error.code == 400
            and error.description
            and error.description != error.__class__.description
        ):
            message = error.description
        response = render_error(error.code, message)
        if error.code == 405:
            response.headers["Allow"] = ", ".join(error.valid_methods or [])
        return response

    @app.errorhandler(DBAPIError)
    @app.errorhandler(PoolTimeout)
    def _database(error: Exception):
        if not _database_away(error):
            return _unexpected(error)
        return database_unavailable(app)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        log.exception("unhandled error")
        db.session.rollback()
        return render_error(500)


def _database_away(error: Exception) -> bool:
    """Tell whether `error` means the database cannot be reached (not a bad query)."""
    if getattr(getattr(error, "orig", None), "pgcode", None) == QUERY_CANCELED:
        return False  # a statement timeout: the database answered, the query was too slow
    if isinstance(error, PoolTimeout | OperationalError | InterfaceError):
        return True
    return isinstance(error, DBAPIError) and bool(error.connection_invalidated)


def database_unavailable(app: Flask) -> Response:
    """Answer 503 with Retry-After while the database is away, and say so on the page."""
    from app.health import store_failed
    from app.sessions import serve_as_visitor

    log.warning("database unavailable: answering 503")
    try:
        db.session.rollback()
    except Exception:  # the connection is gone; the pool drops it
        log.debug("rollback after a lost database connection failed", exc_info=True)
    if db.engine.dialect.name != "sqlite":
        store_failed(app, "database")
    # The page must not ask the database who is logged in: it would fail the same way.
    serve_as_visitor()
    return render_error(
        503,
        _("We can't reach our saved data right now. Please try again in a few seconds."),
        retry_after=DATABASE_RETRY_SECONDS,
    )


def _retry_after(error: HTTPException) -> int:
    """Seconds until a rate limit resets, from Flask-Limiter's limit when it says."""
    limit = getattr(error, "limit", None)
    try:
        return max(1, int(limit.limit.get_expiry())) if limit else 10
    except Exception:  # an unknown limit shape still deserves a hint
        return 10
