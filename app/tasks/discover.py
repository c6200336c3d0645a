"""The Discover ranking, rescored every ten minutes by Celery beat (see `celery_settings`)."""

from __future__ import annotations

from celery import shared_task

from app.services.posts import ranking


@shared_task(name="app.tasks.discover.rank_discover", soft_time_limit=300)
def rank_discover() -> int:
    """Rescore the recent posts for Discover; return how many were scored."""
    return ranking.rank_recent_posts()
