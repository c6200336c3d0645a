"""Profile edits (display name, bio, password) and finding people."""

from __future__ import annotations

import functools
import secrets
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, or_, select

from app.extensions import db
from app.models import User
from app.realtime import socket_actions
from app.services import blocks
from app.services.accounts import clean_text, validate_display_name, validate_password
from app.services.errors import Forbidden, InvalidInput, NotFound
from app.services.social import Page

BIO_MAX = 160
SEARCH_PER_PAGE = 20
# Offered first in the settings menu; any IANA zone name is accepted.
COMMON_TIMEZONES = (
    "Asia/Seoul",
    "Asia/Tokyo",
    "Asia/Shanghai",
    "Asia/Singapore",
    "Australia/Sydney",
    "Europe/London",
    "Europe/Berlin",
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "UTC",
)


class WrongPassword(InvalidInput):
    """The current password given to confirm a change does not match."""

    default_message = _l("Your current password is not right.")


def get_user(user_id: int) -> User:
    """Return the user or raise NotFound."""
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound()
    return user


def validate_bio(bio: str) -> str:
    """Return the bio as one cleaned line of at most 160 characters, else raise."""
    text = " ".join(clean_text(bio).split())
    if len(text) > BIO_MAX:
        raise InvalidInput(_l("Bios are at most %(max)d characters.", max=BIO_MAX), field="bio")
    return text


@functools.cache
def _known_zones() -> frozenset[str]:
    """Every IANA zone name installed (read once; the list walks the tz database)."""
    return frozenset(available_timezones()) | {"UTC"}


def validate_timezone(name: str) -> str:
    """Return `name` if it is a known IANA time zone, else raise."""
    name = (name or "").strip()
    if name not in _known_zones():
        raise InvalidInput(_l("Choose a time zone from the list."), field="timezone")
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput(_l("Choose a time zone from the list."), field="timezone") from exc
    return name


def timezone_choices() -> list[str]:
    """Return the common zones first, then every other IANA zone in order."""
    rest = sorted(_known_zones() - set(COMMON_TIMEZONES))
    return [*COMMON_TIMEZONES, *rest]


def _editable(actor_id: int, user_id: int) -> User:
    """Return the user if `actor_id` may edit that profile (only its owner), else raise."""
    user = get_user(user_id)
    if actor_id != user_id:
        raise Forbidden(_l("You can only edit your own profile."))
    return user


def update_profile(
    actor_id: int, user_id: int, *, display_name: str, bio: str, timezone: str | None = None
) -> User:
    """Change a user's display name, bio and (optionally) time zone; only the user may."""
    user = _editable(actor_id, user_id)
    name = validate_display_name(display_name)
    text = validate_bio(bio)
    zone = validate_timezone(timezone) if timezone is not None else user.timezone
    user.display_name = name
    user.bio = text
    user.timezone = zone
    db.session.commit()
    return user


def update_bio(actor_id: int, user_id: int, bio: str) -> User:
    """Change only the bio (the in-place edit on the profile page)."""
    user = _editable(actor_id, user_id)
    user.bio = validate_bio(bio)
    db.session.commit()
    return user


def change_password(
    user_id: int,
    current_password: str,
    new_password: str,
    *,
    keep_session: str | None = None,
) -> User:
    """Set a new password after checking the current one; every other session ends.

    The session token rotates, so other sessions' cookies load nobody, and after commit
    every socket of the user on every web process is closed with a `signed_out` notice,
    except the sockets of `keep_session` (the browser that made the change, which signs in
    again with the new token). A user who signed up through a provider has no password yet
    and may set one directly.
    """
    user = get_user(user_id)
    if user.password_hash and not user.check_password(current_password or ""):
        raise WrongPassword(field="current_password")
    user.set_password(validate_password(new_password))
    user.session_token = secrets.token_hex(16)
    socket_actions.queue(
        socket_actions.disconnect_user(user_id, notice="signed_out", keep_session=keep_session)
    )
    db.session.commit()
    return user


def _like_pattern(query: str) -> str:
    """Return a LIKE pattern matching `query` anywhere, with wildcards taken literally."""
    escaped = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search_people(
    query: str, page: int = 1, per_page: int = SEARCH_PER_PAGE, *, viewer_id: int | None = None
) -> Page:
    """Find people whose username or display name contains `query` (any case).

    People in a block with the viewer, either way, are left out.
    """
    query = " ".join(clean_text(query).split())[:40]
    page = max(1, int(page or 1))
    if not query:
        return Page([], page, per_page, 0)
    pattern = _like_pattern(query.lower())
    condition = or_(
        User.username_key.like(pattern, escape="\\"),
        func.lower(User.display_name).like(pattern, escape="\\"),
    )
    if viewer_id is not None:
        condition &= User.id.not_in(blocks.hidden_from(viewer_id))
    total = db.session.scalar(select(func.count(User.id)).where(condition)) or 0
    exact_first = case((User.username_key == query.lower(), 0), else_=1)
    people = db.session.scalars(
        select(User)
        .where(condition)
        .order_by(exact_first, User.username_key)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return Page(list(people), page, per_page, int(total))
