"""The hourly leaderboard refresh, scheduled by Celery beat (see `celery_settings`)."""

from __future__ import annotations

from celery import shared_task

from app.services import leaderboard


@shared_task(name="app.tasks.leaderboard.refresh_leaderboards", soft_time_limit=600)
def refresh_leaderboards() -> dict:
    """Recompute every leaderboard and swap it in; skips when another refresh is running."""
    return leaderboard.refresh().as_dict()
