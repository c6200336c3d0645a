"""Writing notifications: one upsert per notice, collapsed and idempotent, pushed after commit."""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from app.database import utcnow
from app.extensions import db
from app.models import Notification, NotificationActor, NotificationMute
from app.realtime.broadcast import broadcast
from app.realtime.events import NOTIFICATION
from app.services import blocks
from app.services.notifications.kinds import COLLAPSING, Kind, group_key


def upsert_statement(table):
    """Return an INSERT that understands ON CONFLICT on the bound database."""
    dialect = db.engine.dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def is_muted(user_id: int, kind: Kind) -> bool:
    """Tell whether the user muted this kind."""
    return (
        db.session.scalar(
            select(NotificationMute.kind).where(
                NotificationMute.user_id == user_id, NotificationMute.kind == kind.value
            )
        )
        is not None
    )


def unread_count_query(user_id: int):
    """The SELECT counting the user's unread notifications (one scalar), for callers that
    fold it into a bigger statement (the navigation badges)."""
    return (
        select(func.count())
        .select_from(Notification)
        .where(Notification.recipient_id == user_id, Notification.read_at.is_(None))
    )


def unread_count(user_id: int) -> int:
    """Return how many of the user's notifications are unread."""
    return int(db.session.scalar(unread_count_query(user_id)) or 0)


def push(recipient_id: int, notification_id: int, kind: Kind, unread: int | None = None) -> None:
    """Queue the live `notification` event for the recipient; it leaves after the commit."""
    broadcast(
        NOTIFICATION,
        {
            "id": notification_id,
            "kind": kind.value,
            "unread": unread_count(recipient_id) if unread is None else unread,
        },
        f"user:{recipient_id}",
    )


def record(
    recipient_id: int,
    kind: Kind,
    target_type: str,
    target_id: int,
    actor_id: int | None = None,
) -> int | None:
    """Write one notice in the caller's transaction; return its row id when it is news.

    Nobody is told about their own action or about the action of someone in a block with
    them (either way), and muted kinds are never written. A notice
    already written (a retry, a double click, a concurrent request) changes nothing; a new
    actor on a collapsing row joins it and makes it unread again.
    """
    if recipient_id == actor_id or is_muted(recipient_id, kind):
        return None
    if blocks.is_blocked_between(recipient_id, actor_id):
        return None
    now = utcnow()
    key = group_key(kind, target_type, target_id, now)
    table = Notification.__table__
    inserted = db.session.execute(
        upsert_statement(table)
        .values(
            recipient_id=recipient_id,
            kind=kind.value,
            group_key=key,
            actor_id=actor_id,
            actor_count=1,
            target_type=target_type,
            target_id=target_id,
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["recipient_id", "group_key"])
        .returning(table.c.id)
    ).scalar()
    if inserted is not None:
        if kind in COLLAPSING and actor_id is not None:
            _add_actor(inserted, actor_id)
        push(recipient_id, inserted, kind)
        return inserted
    if kind not in COLLAPSING or actor_id is None:
        return None
    existing = db.session.scalar(
        select(Notification.id).where(
            Notification.recipient_id == recipient_id, Notification.group_key == key
        )
    )
    if existing is None or not _add_actor(existing, actor_id):
        return None
    db.session.execute(
        update(Notification)
        .where(Notification.id == existing)
        .values(
            actor_count=Notification.actor_count + 1,
            actor_id=actor_id,
            updated_at=now,
            read_at=None,
        )
    )
    push(recipient_id, existing, kind)
    return existing


def _add_actor(notification_id: int, actor_id: int) -> bool:
    """Record that `actor_id` is behind the row; False when they already were."""
    result = db.session.execute(
        upsert_statement(NotificationActor.__table__)
        .values(notification_id=notification_id, actor_id=actor_id)
        .on_conflict_do_nothing()
    )
    return bool(result.rowcount)
