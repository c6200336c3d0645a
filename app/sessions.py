"""Who is signed in: loading users from the session, login and logout (for every blueprint)."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from flask import after_this_request, current_app, redirect, request, session, url_for
from flask_login import current_user, login_user, logout_user
from sqlalchemy import Integer, bindparam, inspect, select
from sqlalchemy.orm.util import identity_key

from app import badges
from app.extensions import db, login_manager
from app.models import User
from app.prepared import execute_prepared_entity
from app.realtime import socket_actions
from app.request_input import parse_int
from app.responses import is_htmx, safe_next
from app.services import login_throttle
from app.services.accounts import end_all_sessions

# Every request of a signed-in person runs one of these. `session.get` builds a new SELECT
# each time, and SQLAlchemy works out each new statement's cache key (a whole row of
# columns); these are built once, so their keys are too. The user lands in the identity map.
# On PostgreSQL the one with the badges runs prepared (app/prepared.py): planning its
# subqueries took the database four times as long as running them, on every full page.
_USER_BY_ID = select(User).where(User.id == bindparam("user_id"))
# A full page shows the navigation badges as well: read with the user, in one round trip.
_USER_AND_BADGES = select(User, *badges.columns(bindparam("user_id", type_=Integer))).where(
    User.id == bindparam("user_id", type_=Integer)
)


@dataclass(frozen=True)
class Claim:
    """Who a request's session says is signed in, not yet checked against the database."""

    user_id: int
    token: str


def _parse_user_key(user_key: str | None) -> Claim | None:
    """The user id and session token of a session's `_user_id` ("id:token"), if well formed."""
    user_id, _, token = (user_key or "").partition(":")
    number = parse_int(user_id, minimum=1)
    if number is None or not token:
        return None
    return Claim(number, token)


def session_claim() -> Claim | None:
    """Who this request's session names, for a write that checks the token itself.

    A chat post checks the session token in its own statement and loads the user there
    (app/services/chat/persist.py): loading them first, as `current_user` does, was one
    more round trip on every post. Flask-Login's session protection runs as it would on
    a load. A browser signed in only by its remember cookie has no user in its session
    yet: it is loaded the usual way, which puts them there.
    """
    if login_manager._session_protection_failed():
        return None
    claim = _parse_user_key(session.get("_user_id"))
    if claim is not None or not current_user.is_authenticated:
        return claim
    return Claim(current_user.id, current_user.session_token)


def _already_loaded(user_id: int) -> User | None:
    """The user as this request's session holds them already, unexpired, else None.

    A chat post's statement loads its poster (see `session_claim`); reading them again to
    serve `current_user` would undo the round trip it saved.
    """
    user = db.session.identity_map.get(identity_key(User, user_id))
    if user is None or inspect(user).expired:
        return None
    return user


def load_user(user_key: str) -> User | None:
    """Load the user named by the session, if its session token is still current."""
    claim = _parse_user_key(user_key)
    if claim is None:
        return None
    row = None
    if badges.page_shows_badges():
        row = execute_prepared_entity(_USER_AND_BADGES, {"user_id": claim.user_id}).one_or_none()
        user = row[0] if row is not None else None
    else:
        # A primary-key lookup is planned in microseconds; run prepared, the ORM's reading
        # of an EXECUTE cost the web process more than that (docs/benchmarks.md).
        user = _already_loaded(claim.user_id) or db.session.scalar(
            _USER_BY_ID, {"user_id": claim.user_id}
        )
    if user is None or not hmac.compare_digest(user.session_token, claim.token):
        return None
    if row is not None:
        badges.remember(user.id, tuple(row[1:]))
    return user


def serve_as_visitor() -> None:
    """Treat this request as a visitor's without asking the database who is signed in.

    For answers that must not touch the database (health checks, a shed request, a page
    saying the database is away): `current_user` would load the user, and the language
    hooks read it.
    """
    login_manager._update_request_context_with_user(None)


def _today() -> int:
    """The UTC day number a session's expiry last slid forward on."""
    return datetime.now(UTC).toordinal()


def slide_expiry_daily() -> None:
    """Move a signed-in session's expiry forward on its first request of each day.

    Sessions are permanent (a month) and sliding, but re-signing and re-sending the cookie
    on every request (Flask's SESSION_REFRESH_EACH_REQUEST) cost a chat post more CPU than
    its word filter; a day's granularity keeps anyone who uses Encore signed in.
    """
    if session.permanent and session.get("day") != _today():
        session["day"] = _today()


def unauthorized():
    """Send anonymous visitors to the login page, remembering where they were going."""
    target = request.full_path.rstrip("?") if request.method == "GET" else request.referrer
    if is_htmx():
        current = request.headers.get("HX-Current-URL")
        target = urlsplit(current).path if current else target
    login_url = url_for("auth.login", next=safe_next(target) if target else None)
    if is_htmx():
        response = current_app.response_class("", 401)
        response.headers["HX-Redirect"] = login_url
        return response
    return redirect(login_url)


def sign_in(user: User, *, remember: bool = False) -> None:
    """Start a fresh session for `user`; the old session's contents and id are dropped."""
    session.clear()
    login_user(user, remember=remember)
    session["sid"] = secrets.token_urlsafe(16)
    session["day"] = _today()
    session.permanent = True


def remember_device(response, user_id: int) -> None:
    """Mark this browser as one that signed in to `user_id`, exempting it from name lockouts."""
    config = current_app.config
    response.set_cookie(
        login_throttle.DEVICE_COOKIE,
        login_throttle.device_cookie_value(user_id),
        max_age=login_throttle.DEVICE_MAX_AGE,
        httponly=True,
        secure=bool(config.get("SESSION_COOKIE_SECURE")),
        samesite="Lax",
    )


def sign_out() -> None:
    """End every session of this user (token rotated) and, once the browser has the
    response, close all their sockets on every web process.

    Rotating the token is what makes logout real: a copied session cookie or the
    year-long remember cookie carries the old token and no longer loads anyone. The
    sockets are closed by the server, not left to the page to obey a notice.
    """
    user = db.session.get(User, current_user.id) if current_user.is_authenticated else None
    if user is not None:
        end_all_sessions(user)
    logout_user()
    session.clear()
    if user is None:
        return
    user_id = user.id
    app = current_app._get_current_object()

    @after_this_request
    def _notify_after_sending(response):
        # The cleared cookie travels in this response. Telling the tabs earlier lets one
        # navigate away first, the browser never stores the cleared cookie, and the person
        # stays signed in.
        def notify() -> None:
            with app.app_context():
                socket_actions.send(socket_actions.disconnect_user(user_id, notice="signed_out"))

        response.call_on_close(notify)
        return response
