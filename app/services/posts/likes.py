"""Likes on posts and comments: idempotent, race-free, with the count kept in step.

A like is `INSERT … ON CONFLICT DO NOTHING` against the (user, target) unique key; only
when a row was really inserted does `UPDATE … SET like_count = like_count + 1` run, in the
same transaction. Unliking mirrors it with a DELETE. So a double tap or twenty concurrent
requests store one like and count it once, on PostgreSQL and on SQLite (BEGIN IMMEDIATE).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.database import begin_write, is_sqlite, utcnow
from app.extensions import db
from app.models import Comment, Like, Post, User
from app.realtime.broadcast import broadcast
from app.realtime.events import POST_LIKES
from app.services.errors import NotFound


@dataclass(frozen=True)
class LikeState:
    """What a like button shows after a change."""

    liked: bool
    count: int


def _insert_like(user_id: int, **target: int) -> bool:
    """Insert the like unless it exists; tell whether a row was inserted."""
    insert = sqlite_insert if is_sqlite() else pg_insert
    column = "post_id" if "post_id" in target else "comment_id"
    statement = (
        insert(Like)
        .values(user_id=user_id, created_at=utcnow(), **target)
        .on_conflict_do_nothing(index_elements=["user_id", column])
    )
    return db.session.execute(statement).rowcount == 1


def _delete_like(user_id: int, **target: int) -> bool:
    """Delete the like if it exists; tell whether a row was deleted."""
    ((column, value),) = target.items()
    statement = delete(Like).where(Like.user_id == user_id, getattr(Like, column) == value)
    return db.session.execute(statement).rowcount == 1


def set_post_like(post_id: int, user_id: int, liked: bool) -> LikeState:
    """Make the user's like of the post be `liked`; return the new state."""
    begin_write()
    if db.session.scalar(select(Post.id).where(Post.id == post_id)) is None:
        raise NotFound()
    changed = (_insert_like if liked else _delete_like)(user_id, post_id=post_id)
    if changed:
        step = 1 if liked else -1
        db.session.execute(
            update(Post).where(Post.id == post_id).values(like_count=Post.like_count + step)
        )
    count = db.session.scalar(select(Post.like_count).where(Post.id == post_id)) or 0
    if changed:
        broadcast(
            POST_LIKES, {"post_id": post_id, "comment_id": None, "count": count}, f"post:{post_id}"
        )
    db.session.commit()
    return LikeState(liked, count)


def set_comment_like(comment_id: int, user_id: int, liked: bool) -> tuple[int, LikeState]:
    """Make the user's like of the comment be `liked`; return (post id, new state)."""
    begin_write()
    post_id = db.session.scalar(select(Comment.post_id).where(Comment.id == comment_id))
    if post_id is None:
        raise NotFound()
    changed = (_insert_like if liked else _delete_like)(user_id, comment_id=comment_id)
    if changed:
        step = 1 if liked else -1
        db.session.execute(
            update(Comment)
            .where(Comment.id == comment_id)
            .values(like_count=Comment.like_count + step)
        )
    count = db.session.scalar(select(Comment.like_count).where(Comment.id == comment_id)) or 0
    if changed:
        broadcast(
            POST_LIKES,
            {"post_id": post_id, "comment_id": comment_id, "count": count},
            f"post:{post_id}",
        )
    db.session.commit()
    return post_id, LikeState(liked, count)


def likes_post(user_id: int | None, post_id: int) -> bool:
    """Tell whether the user likes the post."""
    return bool(user_id) and post_id in liked_posts_among(user_id, [post_id])


def likes_comment(user_id: int | None, comment_id: int) -> bool:
    """Tell whether the user likes the comment."""
    return bool(user_id) and comment_id in liked_comments_among(user_id, [comment_id])


def liked_posts_among(user_id: int | None, post_ids: Iterable[int]) -> set[int]:
    """Return which of `post_ids` the user likes, in one query."""
    ids = list(post_ids)
    if not user_id or not ids:
        return set()
    return set(
        db.session.scalars(
            select(Like.post_id).where(Like.user_id == user_id, Like.post_id.in_(ids))
        )
    )


def liked_comments_among(user_id: int | None, comment_ids: Iterable[int]) -> set[int]:
    """Return which of `comment_ids` the user likes, in one query."""
    ids = list(comment_ids)
    if not user_id or not ids:
        return set()
    return set(
        db.session.scalars(
            select(Like.comment_id).where(Like.user_id == user_id, Like.comment_id.in_(ids))
        )
    )


def likers(post_id: int, limit: int = 100) -> list[User]:
    """Return the people who liked the post, most recent first."""
    return list(
        db.session.scalars(
            select(User)
            .join(Like, Like.user_id == User.id)
            .where(Like.post_id == post_id)
            .order_by(Like.created_at.desc(), Like.id.desc())
            .limit(limit)
        )
    )
