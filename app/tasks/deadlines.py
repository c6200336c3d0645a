"""The show-deadline sweep, scheduled by Celery beat every few seconds (see `celery_settings`).

A beat sweep rather than one countdown task per deadline: the deadlines live on the room
rows, so a sweep that reads them survives any restart of web, worker or beat, and a pause
or an extension needs no task to be revoked. docs/show-rules.md says more.
"""

from __future__ import annotations

from celery import shared_task

from app.services import deadlines


@shared_task(
    name="app.tasks.deadlines.sweep_deadlines",
    soft_time_limit=30,
    expires=10,  # a sweep queued behind a stopped worker is worthless once the next is due
    ignore_result=True,
)
def sweep_deadlines() -> int:
    """Apply every overdue show deadline; return how many stages moved."""
    return deadlines.sweep()
