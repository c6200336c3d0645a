"""Notifications: what happened to me, who did it, and the kinds I muted."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.database import utcnow
from app.extensions import db
from app.models.types import UTCDateTime
from app.models.user import User


class Notification(db.Model):
    """One notice to a recipient; same-kind notices about one target collapse into a row.

    `group_key` names the collapse group (kind, target and, for follows, the hour), and
    (recipient, group_key) is unique: a retried or concurrent write lands on the same row.
    """

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("recipient_id", "group_key", name="uq_notifications_group"),
        Index("ix_notifications_recipient_updated", "recipient_id", "updated_at"),
        Index("ix_notifications_recipient_unread", "recipient_id", "read_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    group_key: Mapped[str] = mapped_column(String(80))
    # The latest actor; `actor_count` says how many distinct people the row stands for.
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    actor_count: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    target_type: Mapped[str] = mapped_column(String(16))
    target_id: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id], lazy="joined")


class NotificationActor(db.Model):
    """Who a collapsed notification stands for; a retried action adds nobody twice."""

    __tablename__ = "notification_actors"

    notification_id: Mapped[int] = mapped_column(
        ForeignKey("notifications.id", ondelete="CASCADE"), primary_key=True
    )
    actor_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )


class NotificationMute(db.Model):
    """A kind of notification a user does not want."""

    __tablename__ = "notification_mutes"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
