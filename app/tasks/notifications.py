"""Telling an actor's followers, in batches, away from the request that caused it."""

from __future__ import annotations

from celery import shared_task
from sqlalchemy.exc import OperationalError

from app.extensions import db
from app.services.notifications import fanout
from app.services.notifications.kinds import Kind


@shared_task(
    name=fanout.TASK,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
    acks_late=True,
    soft_time_limit=600,
)
def fan_out_to_followers(kind: str, actor_id: int, target_type: str, target_id: int) -> int:
    """Write the notice for every follower of `actor_id`; safe to run twice."""
    try:
        return fanout.fan_out(Kind(kind), actor_id, target_type, target_id)
    except OperationalError:
        db.session.rollback()
        raise
