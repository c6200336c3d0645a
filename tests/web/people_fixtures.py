"""Helpers shared by the people-area tests (profiles, follows, settings, avatars, login)."""

from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db
from app.models import Follow, User


def follows(app) -> set[tuple[str, str]]:
    """Return every follow as (follower username, followed username)."""
    with app.app_context():
        rows = db.session.execute(select(Follow.follower_id, Follow.followed_id)).all()
        names = dict(db.session.execute(select(User.id, User.username)).all())
        return {(names[a], names[b]) for a, b in rows}


def user_row(app, username: str) -> User:
    """Return the user (detached, attributes loaded)."""
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username_key == username.lower()))
        db.session.expunge(user)
        return user


def count(app, model) -> int:
    """Return how many rows `model` has."""
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))
