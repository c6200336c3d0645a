"""Highlights: posts with photos and tags, comments with one level of replies, and likes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.database import utcnow
from app.extensions import db
from app.models.room import Performance
from app.models.types import UTCDateTime
from app.models.user import User


class Post(db.Model):
    """A highlight: text, up to four photos, tags, and optionally one of the author's turns."""

    __tablename__ = "posts"
    __table_args__ = (
        CheckConstraint("like_count >= 0 AND comment_count >= 0", name="counts_non_negative"),
        # Keyset pagination walks (created_at, id) descending, per author and overall.
        Index("ix_posts_author_created", "author_id", "created_at", "id"),
        Index("ix_posts_created", "created_at", "id"),
        Index("ix_posts_discover", "discover_score", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    body: Mapped[str] = mapped_column(Text, default="")
    performance_id: Mapped[int | None] = mapped_column(
        ForeignKey("performances.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Kept by the same transaction that inserts or deletes a like or comment.
    like_count: Mapped[int] = mapped_column(Integer, default=0)
    comment_count: Mapped[int] = mapped_column(Integer, default=0)
    # Written by the periodic Discover job only; page views read it.
    discover_score: Mapped[float] = mapped_column(Float, default=0.0)

    author: Mapped[User] = relationship()
    performance: Mapped[Performance | None] = relationship()
    photos: Mapped[list[PostPhoto]] = relationship(
        order_by="PostPhoto.position", cascade="all, delete-orphan", passive_deletes=True
    )
    tags: Mapped[list[Tag]] = relationship(secondary="post_tags", order_by="Tag.name")


class PostPhoto(db.Model):
    """One stored photo of a post: a large rendition and a thumbnail, in order."""

    __tablename__ = "post_photos"
    __table_args__ = (
        UniqueConstraint("post_id", "position"),
        CheckConstraint("position BETWEEN 0 AND 3", name="position_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    key: Mapped[str] = mapped_column(String(80))
    thumb_key: Mapped[str] = mapped_column(String(80))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    thumb_width: Mapped[int] = mapped_column(Integer)
    thumb_height: Mapped[int] = mapped_column(Integer)
    size_bytes: Mapped[int] = mapped_column(Integer)


class Tag(db.Model):
    """A hashtag, stored lower-cased without the `#`."""

    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)


class PostTag(db.Model):
    """A tag on a post."""

    __tablename__ = "post_tags"
    __table_args__ = (Index("ix_post_tags_tag_post", "tag_id", "post_id"),)

    post_id: Mapped[int] = mapped_column(
        ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True
    )
    tag_id: Mapped[int] = mapped_column(ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True)


class Comment(db.Model):
    """A comment under a post, or a reply to a top-level comment (one level only)."""

    __tablename__ = "comments"
    __table_args__ = (
        CheckConstraint("like_count >= 0", name="likes_non_negative"),
        Index("ix_comments_post_created", "post_id", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("comments.id", ondelete="CASCADE"), index=True
    )
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    like_count: Mapped[int] = mapped_column(Integer, default=0)

    author: Mapped[User] = relationship()


class Like(db.Model):
    """One person's like of exactly one post or one comment; the database keeps it unique."""

    __tablename__ = "likes"
    __table_args__ = (
        CheckConstraint("(post_id IS NULL) <> (comment_id IS NULL)", name="exactly_one_target"),
        UniqueConstraint("user_id", "post_id", name="uq_likes_user_post"),
        UniqueConstraint("user_id", "comment_id", name="uq_likes_user_comment"),
        # "Who liked this" and "what did I like" both read newest first.
        Index("ix_likes_post_created", "post_id", "created_at"),
        Index("ix_likes_user_created", "user_id", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    comment_id: Mapped[int | None] = mapped_column(
        ForeignKey("comments.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship()
