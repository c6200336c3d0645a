"""Celery tasks (`@shared_task`), discovered by `celery_init_app`."""

from app.tasks import (
    deadlines,  # noqa: F401  (registers sweep_deadlines)
    discover,  # noqa: F401  (registers rank_discover)
    leaderboard,  # noqa: F401  (registers refresh_leaderboards)
    notifications,  # noqa: F401  (registers fan_out_to_followers)
)
