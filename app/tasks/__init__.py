"""Celery tasks (`@shared_task`), discovered by `celery_init_app`."""

from app.tasks import (
    deadlines,  # noqa: F401  (registers sweep_deadlines)
    leaderboard,  # noqa: F401  (registers refresh_leaderboards)
)
