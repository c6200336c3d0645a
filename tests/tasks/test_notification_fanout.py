"""Fan-out to followers by a real Celery worker: 10,000 followers each get one row, muted
ones none, a repeated task adds nothing, and the request that caused it runs the same
statements whether the host has no followers or 10,000."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import event, func, insert, select

from app.extensions import db
from app.models import Follow, Notification, NotificationMute, User
from app.services.notifications import fanout
from tests.conftest import make_app
from tests.support import factories
from tests.support.web import AuthActions, csrf_token

pytestmark = [pytest.mark.celery, pytest.mark.redis]

FOLLOWERS = 10_000


def add_followers(host_id: int, count: int, prefix: str) -> list[int]:
    """Create `count` users who follow the host, in two bulk statements."""
    db.session.execute(
        insert(User),
        [
            {"username": f"{prefix}{n}", "username_key": f"{prefix}{n}", "display_name": f"F{n}"}
            for n in range(count)
        ],
    )
    ids = list(db.session.scalars(select(User.id).where(User.username.like(f"{prefix}%"))))
    db.session.execute(
        insert(Follow), [{"follower_id": uid, "followed_id": host_id} for uid in ids]
    )
    db.session.commit()
    return ids


def count_rows(kind: str) -> int:
    """How many notifications of a kind exist."""
    db.session.rollback()  # a fresh snapshot each time
    return int(
        db.session.scalar(
            select(func.count()).select_from(Notification).where(Notification.kind == kind)
        )
    )


def wait_for_rows(app, kind: str, expected: int, timeout: float = 240) -> int:
    """Poll until the worker has written `expected` rows (or the timeout passes)."""
    deadline = time.monotonic() + timeout
    with app.app_context():
        while True:
            found = count_rows(kind)
            if found >= expected or time.monotonic() > deadline:
                return found
            time.sleep(0.5)


def statements_of(app, action) -> list[str]:
    """Run `action` and return the SQL statements the app sent meanwhile."""
    with app.app_context():
        engine = db.engine
    seen = []

    me = threading.get_ident()

    def count(_conn, _cursor, statement, *_args) -> None:
        # Only the request's own statements: the worker may start on the same engine at once.
        if threading.get_ident() == me:
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        action()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return seen


def test_a_room_opened_reaches_ten_thousand_followers_through_the_worker(
    worker_app, celery_worker, redis_url
):
    with worker_app.app_context():
        mina = factories.user("mina")
        factories.user("lonely")
        followers = add_followers(mina, FOLLOWERS, "fan")
        muted = add_followers(mina, 3, "quiet")
        for uid in muted:
            db.session.add(NotificationMute(user_id=uid, kind="room_opened"))
        db.session.commit()

    # The web process: same database and broker, serving real requests.
    web = make_app(REDIS_URL=redis_url)
    lonely, host = web.test_client(), web.test_client()
    assert AuthActions(lonely).login("lonely").status_code == 303
    assert AuthActions(host).login("mina").status_code == 303
    form = {
        "title": "Big night",
        "description": "",
        "category": "karaoke",
        "mode": "casual",
        "capacity": "10",
    }

    def opening(client):
        """A room-opening POST, its CSRF token fetched beforehand so only the POST counts."""
        data = {**form, "csrf_token": csrf_token(client)}

        def send() -> None:
            assert client.post("/rooms/", data=data).status_code == 303

        return send

    without = statements_of(web, opening(lonely))
    with_followers = statements_of(web, opening(host))
    assert len(with_followers) == len(without), (with_followers, without)
    assert not any("follows" in statement for statement in with_followers)

    assert wait_for_rows(worker_app, "room_opened", FOLLOWERS) == FOLLOWERS
    with worker_app.app_context():
        room_id = db.session.scalar(select(func.max(Notification.target_id)))
        recipients = set(
            db.session.scalars(
                select(Notification.recipient_id).where(Notification.kind == "room_opened")
            )
        )
        assert recipients == set(followers)  # each follower once, the muted ones never

    # The same task delivered again (a broker redelivery, a retry) adds nothing.
    worker_app.extensions["celery"].send_task(
        fanout.TASK, args=["room_opened", mina, "room", room_id], ignore_result=False
    ).get(timeout=240)
    with worker_app.app_context():
        assert count_rows("room_opened") == FOLLOWERS
