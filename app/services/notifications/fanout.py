"""Telling every follower: queued after the commit, written by a Celery task in batches.

The request that puts someone on air only queues one task message after its commit, so
its cost does not depend on how many followers there are. The task walks the followers in
id order, one INSERT … SELECT per batch that skips muted followers and rows already
written, so a retried or duplicated task writes and pushes nothing twice.
"""

from __future__ import annotations

import logging

from flask import current_app
from sqlalchemy import and_, event, exists, func, literal, select
from sqlalchemy.orm import Session

from app.celery_app import send_task
from app.database import utcnow
from app.extensions import db
from app.models import Follow, Notification, NotificationMute
from app.models.types import UTCDateTime
from app.services import blocks
from app.services.notifications.kinds import Kind, group_key
from app.services.notifications.store import push, upsert_statement

log = logging.getLogger(__name__)

TASK = "app.tasks.notifications.fan_out_to_followers"
BATCH_SIZE = 1000
_PENDING = "encore_pending_fan_outs"


def inline() -> bool:
    """Tell whether fan-out runs in the request (embedded mode: no Redis, so no worker)."""
    configured = current_app.config.get("NOTIFICATIONS_FAN_OUT_INLINE")
    if configured is not None:
        return bool(configured)
    return not current_app.config.get("REDIS_URL")


def after_commit(kind: Kind, actor_id: int, target_type: str, target_id: int) -> None:
    """Arrange for the actor's followers to be told once the caller's transaction commits."""
    if inline():
        fan_out(kind, actor_id, target_type, target_id, commit=False)
        return
    db.session.info.setdefault(_PENDING, []).append((kind.value, actor_id, target_type, target_id))


@event.listens_for(Session, "after_commit")
def _send_pending(session: Session) -> None:
    """Hand the committed transaction's fan-outs to the workers."""
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    for args in pending:
        try:
            send_task(TASK, list(args))
        except Exception:  # the committed action stands even if the broker is down
            log.exception("could not queue the fan-out %s", args)


@event.listens_for(Session, "after_rollback")
def _drop_pending(session: Session) -> None:
    """Forget the fan-outs of a transaction that did not happen."""
    session.info.pop(_PENDING, None)


def fan_out(
    kind: Kind,
    actor_id: int,
    target_type: str,
    target_id: int,
    *,
    batch_size: int = BATCH_SIZE,
    commit: bool = True,
) -> int:
    """Write and push the notice to every follower of the actor; return how many were new."""
    now = utcnow()
    key = group_key(kind, target_type, target_id, now)
    last_id = 0
    written = 0
    while True:
        batch = list(
            db.session.scalars(
                select(Follow.follower_id)
                .where(Follow.followed_id == actor_id, Follow.follower_id > last_id)
                .order_by(Follow.follower_id)
                .limit(batch_size)
            )
        )
        if not batch:
            break
        new = _write_batch(kind, key, actor_id, target_type, target_id, last_id, batch[-1], now)
        counts = _unread_counts([recipient for _, recipient in new])
        for notification_id, recipient in new:
            push(recipient, notification_id, kind, counts.get(recipient, 1))
        if commit:
            db.session.commit()  # each batch stands alone; its pushes leave with it
        written += len(new)
        last_id = batch[-1]
    return written


def _write_batch(kind, key, actor_id, target_type, target_id, after, upto, now):
    """Insert the rows for followers in (after, upto] who did not mute the kind."""
    table = Notification.__table__
    muted = exists().where(
        NotificationMute.user_id == Follow.follower_id, NotificationMute.kind == kind.value
    )
    source = select(
        Follow.follower_id,
        literal(kind.value),
        literal(key),
        literal(actor_id),
        literal(1),
        literal(target_type),
        literal(target_id),
        literal(now, UTCDateTime),
        literal(now, UTCDateTime),
    ).where(
        and_(
            Follow.followed_id == actor_id,
            Follow.follower_id > after,
            Follow.follower_id <= upto,
            ~muted,
            # Blocking ends follows, but a follow racing a block must not notify either.
            Follow.follower_id.not_in(blocks.hidden_from(actor_id)),
        )
    )
    statement = (
        upsert_statement(table)
        .from_select(
            [
                "recipient_id",
                "kind",
                "group_key",
                "actor_id",
                "actor_count",
                "target_type",
                "target_id",
                "created_at",
                "updated_at",
            ],
            source,
        )
        .on_conflict_do_nothing(index_elements=["recipient_id", "group_key"])
        .returning(table.c.id, table.c.recipient_id)
    )
    return [(row.id, row.recipient_id) for row in db.session.execute(statement)]


def _unread_counts(recipients: list[int]) -> dict[int, int]:
    """Return the unread count of each recipient, in one grouped query."""
    if not recipients:
        return {}
    rows = db.session.execute(
        select(Notification.recipient_id, func.count())
        .where(Notification.recipient_id.in_(recipients), Notification.read_at.is_(None))
        .group_by(Notification.recipient_id)
    ).all()
    return {recipient: int(count) for recipient, count in rows}
