"""Notifications: the one-line calls the show, rooms and follows make when something happens.

Each call writes in the caller's transaction (or queues the follower fan-out for after
its commit) and never raises for a muted or repeated notice. The pieces: `kinds` (what
there is to tell), `store` (one idempotent upsert and its live push), `fanout` (followers,
in a Celery task) and `inbox` (reading, marking read, muting).
"""

from __future__ import annotations

from app.extensions import db
from app.models import Performance, Phase, Room
from app.services.notifications import fanout
from app.services.notifications.kinds import Kind
from app.services.notifications.store import record


def performer_nominated(performance: Performance, actor_id: int) -> None:
    """Tell the nominee they are next; if the turn before has ended, their turn is near."""
    nominee_id = performance.next_performer_id
    if nominee_id is None:
        return
    record(nominee_id, Kind.NOMINATED, "performance", performance.id, actor_id)
    if performance.phase == Phase.SCORING:
        record(nominee_id, Kind.TURN_SOON, "performance", performance.id, performance.performer_id)


def turn_ended(performance: Performance) -> None:
    """The turn before theirs has ended: the nominee goes on once scoring closes."""
    if performance.next_performer_id is not None and performance.phase == Phase.SCORING:
        record(
            performance.next_performer_id,
            Kind.TURN_SOON,
            "performance",
            performance.id,
            performance.performer_id,
        )


def results_in(performance: Performance) -> None:
    """Tell the performer their scoring has closed and the average is out."""
    record(performance.performer_id, Kind.RESULTS, "performance", performance.id)


def went_on_air(performance: Performance) -> None:
    """Tell the performer's followers, after the commit and in a worker."""
    fanout.after_commit(Kind.ON_AIR, performance.performer_id, "performance", performance.id)


def room_opened(room: Room) -> None:
    """Tell the host's followers about a new room, after the commit and in a worker."""
    fanout.after_commit(Kind.ROOM_OPENED, room.host_id, "room", room.id)


def followed(follower_id: int, followed_id: int) -> None:
    """Tell someone they have a new follower, collapsed with others in the same hour."""
    record(followed_id, Kind.FOLLOWED, "user", followed_id, follower_id)
    db.session.commit()


__all__ = [
    "Kind",
    "followed",
    "performer_nominated",
    "results_in",
    "room_opened",
    "turn_ended",
    "went_on_air",
]


def report_resolved(reporter_id: int, report_id: int) -> None:
    """Tell a reporter that a moderator decided on their report (the page says what)."""
    record(reporter_id, Kind.REPORT, "report", report_id)
