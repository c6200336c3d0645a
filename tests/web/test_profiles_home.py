"""The member home page: rooms with people I follow first, then other open rooms, and a feed."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import update

from app.database import utcnow
from app.extensions import db
from app.models import Room, User
from app.services import rooms
from tests.support import factories
from tests.support.web import post


def test_visitors_get_the_landing_page(client):
    html = client.get("/").get_data(as_text=True)
    assert "Create your account" in html
    assert "From people you follow" not in html


def test_live_rooms_with_people_i_follow_come_first(client, app, auth):
    auth.signup("mina", "김민아")
    with app.app_context():
        junho = factories.user("junho", "박준호")
        stranger = factories.user("stranger", "Stranger")
        yuna = factories.user("yuna", "윤유나")
        old = utcnow() - timedelta(hours=2)
        followed_lobby = factories.room(
            yuna, title="Yuna lobby", status="lobby", member_ids=(junho,), created_at=old
        )
        other_live = factories.room(stranger, title="Stranger live", status="live")
        other_lobby = factories.room(stranger, title="Stranger lobby", status="lobby")
        followed_live = factories.room(
            junho, title="Junho live", status="live", created_at=old - timedelta(hours=1)
        )
        factories.room(junho, title="Junho finished", status="finished")
        factories.room(junho, title="Junho cancelled", status="cancelled")
    post(client, "/users/junho/follow")
    post(client, "/users/yuna/follow")  # two people I follow in one lobby: one card
    html = client.get("/").get_data(as_text=True)
    assert html.count(f'href="/rooms/{followed_lobby}"') == 1
    order = [
        html.index(f'href="/rooms/{room_id}"')
        for room_id in (followed_live, other_live, followed_lobby, other_lobby)
    ]
    assert order == sorted(order)
    assert "Junho finished" not in html and "Junho cancelled" not in html
    assert "With 박준호" in html


def test_feed_shows_recent_results_by_people_i_follow(client, app, auth):
    auth.signup("mina", "김민아")
    with app.app_context():
        junho, stranger, room = _late_show()
        factories.finished_performance(room, junho, {stranger: 9})
        factories.finished_performance(room, stranger, {junho: 3})
    html = client.get("/").get_data(as_text=True)
    assert "When people you follow perform" in html
    post(client, "/users/junho/follow")
    html = client.get("/").get_data(as_text=True)
    assert "scored 9.00 in" in html and 'href="/rooms/1"' in html
    assert "scored 3.00" not in html  # the stranger is not followed
    assert "No rooms are open right now." in html


def test_kept_home_cards_follow_seats_and_the_people_i_follow(client, app, auth):
    """Home's room cards and feed sentences are kept fragments: a change shows at once."""
    auth.signup("mina", "김민아")
    with app.app_context():
        junho = factories.user("junho", "박준호")
        yuna = factories.user("yuna", "윤유나")
        lobby = factories.room(yuna, title="Yuna lobby", status="lobby")
    post(client, "/users/junho/follow")
    card = _home_card(client, lobby)
    assert "1 of 10 seats" in card and "With" not in card
    with app.app_context():
        rooms.join_room(lobby, junho)
    card = _home_card(client, lobby)
    assert "2 of 10 seats" in card and "With 박준호" in card


def test_a_kept_feed_sentence_follows_a_rename_and_keeps_its_own_time(client, app, auth):
    auth.signup("mina", "김민아")
    with app.app_context():
        junho, stranger, room = _late_show()
        # The same sentence twice ("박준호 scored 9.00 in Late show"), hours apart.
        factories.finished_performance(room, junho, {stranger: 9})
        earlier = utcnow() - timedelta(hours=3)
        factories.finished_performance(room, junho, {stranger: 9}, closed_at=earlier)
    post(client, "/users/junho/follow")
    html = client.get("/").get_data(as_text=True)
    assert html.count("박준호</a> scored 9.00 in") == 2
    times = re.findall(r'<time class="muted small" datetime="[^"]+">([^<]+)</time>', html)
    assert times[0].endswith(("second ago", "seconds ago")) and times[1] == "3 hours ago"
    with app.app_context():
        db.session.get(User, junho).display_name = "준호 <i>"
        db.session.commit()
    html = client.get("/").get_data(as_text=True)
    assert html.count("준호 &lt;i&gt;</a> scored 9.00 in") == 2 and "박준호" not in html


def _home_card(client, room_id: int) -> str:
    """The `<li>` of one open room on the member home page."""
    html = client.get("/").get_data(as_text=True)
    start = html.index(f'href="/rooms/{room_id}"')
    return html[html.rindex("<li>", 0, start) : html.index("</li>", start)]


def test_home_leaves_out_idle_shows_like_the_rooms_list(client, app, auth):
    auth.signup("mina", "김민아")
    with app.app_context():
        stranger = factories.user("stranger", "Stranger")
        idle = factories.room(stranger, title="Idle live", status="live")
        factories.room(stranger, title="Busy live", status="live")
        db.session.execute(
            update(Room)
            .where(Room.id == idle)
            .values(last_activity_at=utcnow() - timedelta(hours=1, seconds=1))
        )
        db.session.commit()
    html = client.get("/").get_data(as_text=True)
    assert "Busy live" in html and "Idle live" not in html


def _late_show() -> tuple[int, int, int]:
    """박준호 (junho) seated in a stranger's finished "Late show": (junho, stranger, room)."""
    junho = factories.user("junho", "박준호")
    stranger = factories.user("stranger", "Stranger")
    room = factories.room(stranger, title="Late show", status="finished", member_ids=(junho,))
    return junho, stranger, room
