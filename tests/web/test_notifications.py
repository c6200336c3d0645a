"""Notifications over HTTP: each kind is written once from the real actions, pushed on the
recipient's socket, listed newest first, marked read when seen, collapsed and muted."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.extensions import db, socketio
from app.models import Notification
from tests.support.web import HTMX, post


def rows(app, user_id: int) -> list[tuple[str, int, int | None]]:
    """(kind, actor_count, read?) of a user's notifications, oldest first."""
    with app.app_context():
        found = db.session.scalars(
            select(Notification)
            .where(Notification.recipient_id == user_id)
            .order_by(Notification.id)
        ).all()
        return [(n.kind, n.actor_count, n.read_at is not None) for n in found]


def kinds(app, user_id: int) -> list[str]:
    """The kinds of a user's notifications, oldest first."""
    return [kind for kind, _count, _read in rows(app, user_id)]


@pytest.fixture
def inline(app):
    """Fan-outs run in the request, as in the embedded mode (the worker tests cover Celery)."""
    app.config["NOTIFICATIONS_FAN_OUT_INLINE"] = True
    return app


def test_a_show_tells_each_person_once_and_live(app, inline, show_room, show_people):
    (fan,) = show_people("fan")
    room_id, (mina, junho, seoyeon) = show_room("mina", "junho", "seoyeon")
    assert post(fan.client, "/users/junho/follow").status_code == 303
    sock = socketio.test_client(app, flask_test_client=junho.client)
    sock.get_received()

    assert mina.act(room_id, "start").status_code == 303
    for _ in range(2):  # a retried nomination tells junho once
        assert mina.act(room_id, "nominate", {"user_id": junho.id}).status_code == 303
    pushed = [m["args"][0] for m in sock.get_received() if m["name"] == "notification"]
    assert [(p["kind"], p["unread"]) for p in pushed] == [("nominated", 2)]  # and the follow

    assert mina.act(room_id, "end-turn").status_code == 303
    assert kinds(app, junho.id) == ["followed", "nominated", "turn_soon"]
    assert junho.act(room_id, "score", {"value": "8"}).status_code == 303
    assert seoyeon.act(room_id, "score", {"value": "6"}).status_code == 303
    # Scoring closed: mina's results are in and junho went on air, which his fan hears.
    assert kinds(app, mina.id) == ["results"]
    assert kinds(app, fan.id) == ["on_air"]
    # Nobody hears about their own turn on air.
    assert kinds(app, junho.id) == ["followed", "nominated", "turn_soon"]
    sock.disconnect()


def test_following_collapses_into_one_row_and_repeats_count_once(app, show_people):
    mina, *fans = show_people("mina", *(f"fan{i}" for i in range(10)))
    for fan in fans:
        assert post(fan.client, "/users/mina/follow").status_code == 303
    assert post(fans[0].client, "/users/mina/follow").status_code == 303  # again: no news
    assert rows(app, mina.id) == [("followed", 10, False)]
    page = mina.client.get("/notifications").get_data(as_text=True)
    assert "fan9 and 9 others followed you." in page


def test_the_list_is_newest_first_counts_unread_and_is_read_once_seen(app, show_people):
    mina, junho, seoyeon = show_people("mina", "junho", "seoyeon")
    post(junho.client, "/users/mina/follow")
    mina_home = mina.client.get("/").get_data(as_text=True)
    assert "junho followed you." in mina_home  # unread first on the home page
    badge = re.search(r'id="nav-notification-badge" data-unread="(\d+)"', mina_home)
    assert badge.group(1) == "1"
    # Once read, a new follower in the same hour makes the row news again.
    first = mina.client.get("/notifications").get_data(as_text=True)
    assert "1 unread" in first and "is-unread" in first
    assert rows(app, mina.id) == [("followed", 1, True)]
    assert "0 unread" in mina.client.get("/notifications").get_data(as_text=True)
    post(seoyeon.client, "/users/mina/follow")
    assert rows(app, mina.id) == [("followed", 2, False)]
    badge = mina.client.get("/notifications/badge").get_data(as_text=True)
    assert 'data-unread="1"' in badge
    assert "seoyeon and 1 other followed you." in mina.client.get("/notifications").get_data(
        as_text=True
    )


def test_the_toast_is_only_for_its_recipient(app, show_people):
    mina, junho = show_people("mina", "junho")
    post(junho.client, "/users/mina/follow")
    with app.app_context():
        notification_id = db.session.scalar(select(Notification.id))
    toast = mina.client.get(f"/notifications/{notification_id}/toast", headers=HTMX)
    assert toast.status_code == 200 and "junho followed you." in toast.get_data(as_text=True)
    assert junho.client.get(f"/notifications/{notification_id}/toast").status_code == 404


def test_a_muted_kind_is_not_written(app, inline, show_people):
    mina, junho, seoyeon = show_people("mina", "junho", "seoyeon")
    settings = mina.client.get("/settings/profile").get_data(as_text=True)
    assert 'name="notify" value="followed" checked' in settings
    every = ["nominated", "turn_soon", "on_air", "room_opened", "results"]
    response = post(mina.client, "/settings/notifications", {"notify": every})
    assert response.status_code == 303
    settings = mina.client.get("/settings/profile").get_data(as_text=True)
    assert 'name="notify" value="followed" >' in settings
    post(junho.client, "/users/mina/follow")
    assert rows(app, mina.id) == []
    # Muting room openings also keeps the fan-out from writing her row.
    post(seoyeon.client, "/users/seoyeon/follow")
    post(mina.client, "/users/seoyeon/follow")
    post(mina.client, "/settings/notifications", {"notify": ["followed"]})
    seoyeon.create_room(title="Muted")
    assert rows(app, mina.id) == []
    post(mina.client, "/settings/notifications", {"notify": [*every, "followed"]})
    seoyeon.create_room(title="Heard")
    assert kinds(app, mina.id) == ["room_opened"]


def test_unknown_kinds_in_settings_are_refused_and_change_nothing(app, show_people):
    (mina,) = show_people("mina")
    response = post(mina.client, "/settings/notifications", {"notify": ["followed", "spam"]})
    assert response.status_code == 400
    settings = mina.client.get("/settings/profile").get_data(as_text=True)
    assert 'name="notify" value="results" checked' in settings


def test_notifications_need_login(client):
    assert client.get("/notifications").status_code == 302
    assert client.get("/notifications/badge").status_code == 302
