"""Who moderates, and the log of everything moderators do (read at /mod/log)."""

from __future__ import annotations

from sqlalchemy import select, update

from app.extensions import db
from app.models import ModAction, User
from app.services.errors import NotFound

LOG_PAGE = 50


def is_moderator(user_id: int | None) -> bool:
    """Tell whether `user_id` holds the moderator role (False for visitors).

    Read through the session's identity map: the signed-in person was loaded at the start of
    the request, so asking about them costs no statement (every room page asks, for the
    chat's line tools). A write's fresh transaction (`begin_write()`) expires the loaded
    row, so a check made for a write reads the role again.
    """
    if user_id is None:
        return False
    user = db.session.get(User, user_id)
    return user is not None and user.is_moderator


def require_moderator(user_id: int | None) -> None:
    """Raise NotFound unless `user_id` is a moderator: the queue does not exist for others."""
    if not is_moderator(user_id):
        raise NotFound()


def set_moderator(username: str, granted: bool = True) -> User:
    """Grant or take away the moderator role by username; commits. Raises NotFound."""
    user = db.session.scalar(select(User).where(User.username_key == username.strip().lower()))
    if user is None:
        raise NotFound()
    db.session.execute(update(User).where(User.id == user.id).values(is_moderator=granted))
    record(None, "grant_moderator" if granted else "revoke_moderator", "user", user.id)
    db.session.commit()
    return user


def record(
    moderator_id: int | None,
    action: str,
    target_type: str = "",
    target_id: int | None = None,
    note: str = "",
) -> ModAction:
    """Add one action to the log in the caller's transaction (the caller commits)."""
    entry = ModAction(
        moderator_id=moderator_id,
        action=action,
        target_type=target_type,
        target_id=target_id,
        note=note[:2000],
    )
    db.session.add(entry)
    return entry


def recent(limit: int = LOG_PAGE, before_id: int | None = None) -> list[ModAction]:
    """Return the newest log entries (older than `before_id` when given)."""
    query = select(ModAction).order_by(ModAction.id.desc()).limit(limit)
    if before_id:
        query = query.where(ModAction.id < before_id)
    return list(db.session.scalars(query))
