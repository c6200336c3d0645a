"""Notifications under real concurrency on PostgreSQL: retries and simultaneous requests
write each notice once, and a collapsed row counts every actor exactly once."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from app.extensions import db
from app.models import Notification, NotificationActor
from app.services.notifications.kinds import Kind
from app.services.notifications.store import record
from tests.web.test_room_concurrency import needs_postgres, race

__all__ = ["needs_postgres"]  # the fixture, imported for this module


def notifications_of(app, user_id: int) -> list[tuple[str, int]]:
    """(kind, actor_count) of every notification of a user."""
    with app.app_context():
        return [
            (n.kind, n.actor_count)
            for n in db.session.scalars(
                select(Notification).where(Notification.recipient_id == user_id)
            )
        ]


def test_twenty_people_following_at_once_make_one_row_of_twenty(app, needs_postgres, show_people):
    mina, *fans = show_people("mina", *(f"fan{i}" for i in range(20)))
    statuses = race([(fan.client, "/users/mina/follow", {}) for fan in fans])
    assert set(statuses) == {303}
    assert notifications_of(app, mina.id) == [("followed", 20)]
    with app.app_context():
        actors = db.session.scalar(select(func.count()).select_from(NotificationActor))
    assert actors == 20


def test_a_double_tapped_follow_tells_once(app, needs_postgres, show_people):
    mina, fan = show_people("mina", "fan")
    statuses = race([(fan.client, "/users/mina/follow", {}) for _ in range(8)])
    assert set(statuses) == {303}
    assert notifications_of(app, mina.id) == [("followed", 1)]


def test_host_and_performer_nominating_together_tell_the_nominee_once(
    app, needs_postgres, show_room
):
    room_id, (mina, junho, _seoyeon) = show_room("mina", "junho", "seoyeon")
    assert mina.act(room_id, "start").status_code == 303
    assert mina.act(room_id, "end-turn").status_code == 303
    url = f"/rooms/{room_id}/nominate"
    statuses = race([(mina.client, url, {"user_id": junho.id}) for _ in range(6)])
    assert set(statuses) == {303}
    assert sorted(notifications_of(app, junho.id)) == [("nominated", 1), ("turn_soon", 1)]


def test_every_kind_written_from_many_threads_and_retries_lands_once(app, needs_postgres):
    from tests.support import factories

    with app.app_context():
        mina = factories.user("mina")
        junho = factories.user("junho")
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def write() -> None:
        try:
            with app.app_context():
                barrier.wait(timeout=30)
                for _attempt in range(3):  # a worker retrying the same step
                    for kind in Kind:
                        record(mina, kind, "performance", 7, junho)
                    db.session.commit()
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=write) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert sorted(notifications_of(app, mina)) == sorted((kind.value, 1) for kind in Kind)
