"""Local accounts: sign up, authenticate, end sessions."""

from __future__ import annotations

import functools
import hmac
import re
import secrets
import unicodedata

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from app.extensions import db
from app.models import User
from app.services.errors import InvalidInput, SessionEnded, UsernameTaken

USERNAME_RE = re.compile(r"^[A-Za-z0-9_](?:[A-Za-z0-9_.]{1,28})[A-Za-z0-9_]$")
MIN_PASSWORD = 8


def clean_text(value: str) -> str:
    """Normalise to NFC, drop control characters and trim the ends."""
    value = unicodedata.normalize("NFC", value or "")
    value = "".join(ch for ch in value if unicodedata.category(ch)[0] != "C" or ch in "\n\t")
    return value.strip()


def validate_username(username: str) -> str:
    """Return `username` if it is 3–30 ASCII letters, digits, `_` or `.`, else raise."""
    username = (username or "").strip()
    if not USERNAME_RE.fullmatch(username) or ".." in username:
        raise InvalidInput(
            "Usernames are 3–30 letters, digits, '_' or '.', in English letters.",
            field="username",
        )
    return username


def validate_display_name(display_name: str) -> str:
    """Return the cleaned display name (any script, 1–40 characters), else raise."""
    name = " ".join(clean_text(display_name).split())
    if not 1 <= len(name) <= 40:
        raise InvalidInput("Display names are 1–40 characters.", field="display_name")
    return name


def validate_password(password: str) -> str:
    """Return `password` if it is long enough, else raise."""
    if len(password or "") < MIN_PASSWORD:
        raise InvalidInput(f"Passwords need at least {MIN_PASSWORD} characters.", field="password")
    return password


def username_available(username: str) -> bool:
    """Tell whether nobody has `username`, whatever its case."""
    key = username.lower()
    return db.session.scalar(select(User.id).where(User.username_key == key)) is None


def create_user(username: str, display_name: str, password: str | None, *, bio: str = "") -> User:
    """Create and commit a user; raise InvalidInput or UsernameTaken."""
    username = validate_username(username)
    display_name = validate_display_name(display_name)
    user = User(
        username=username,
        username_key=username.lower(),
        display_name=display_name,
        bio=clean_text(bio)[:160],
    )
    if password is not None:
        user.set_password(validate_password(password))
    db.session.add(user)
    try:
        db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        raise UsernameTaken(field="username") from exc
    return user


def authenticate(username: str, password: str) -> User | None:
    """Return the user whose username and password match, else None."""
    user = db.session.scalar(
        select(User).where(User.username_key == (username or "").strip().lower())
    )
    if user is None:
        # Spend the same time as a real check so a timing probe cannot list usernames.
        check_password_hash(_dummy_hash(), password or "")
        return None
    return user if user.check_password(password or "") else None


def check_session(user_id: int, token: str) -> User:
    """Load the user a session names, or raise SessionEnded when `token` is no longer theirs.

    For a write that checks the session itself instead of loading the user first (a chat
    post: app/services/chat/persist.py), on the paths its own statement does not cover.
    """
    user = db.session.get(User, user_id)
    if user is None or not hmac.compare_digest(user.session_token, token):
        raise SessionEnded()
    return user


def end_all_sessions(user: User) -> None:
    """Rotate the session token, which signs the user out everywhere."""
    user.session_token = secrets.token_hex(16)
    db.session.commit()


def get_user_by_username(username: str) -> User | None:
    """Return the user with `username` (any case), or None."""
    return db.session.scalar(select(User).where(User.username_key == username.lower()))


@functools.cache
def _dummy_hash() -> str:
    """Return a hash to check unknown usernames against, made once per process."""
    return generate_password_hash(secrets.token_hex(16))


def set_locale(user: User, locale: str, supported: tuple[str, ...]) -> None:
    """Save the language `user` chose, so every device they sign in on shows it."""
    if locale not in supported:
        raise InvalidInput(_l("Choose Korean or English."), field="lang")
    user.locale = locale
    db.session.commit()
