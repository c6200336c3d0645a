"""The rooms list (search, filters, infinite scroll) and opening a room."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Room, RoomMember
from tests.support import factories
from tests.support.web import HTMX, post


def room_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Room.id)))


def card_titles(html: str) -> list[str]:
    """Return the room titles of the cards in `html`, in order."""
    return re.findall(r'class="room-card-title"><a href="/rooms/\d+">([^<]+)</a>', html)


# --- opening a room -------------------------------------------------------------------------


def test_opening_a_room_seats_the_host(show_people, app):
    (mina,) = show_people("mina")
    form = mina.client.get("/rooms/new").get_data(as_text=True)
    assert 'name="title"' in form and 'name="capacity"' in form and "Karaoke night" in form
    room_id = mina.create_room(title="금요일 노래방 🎤", capacity=8, mode="casual")
    with app.app_context():
        room = db.session.get(Room, room_id)
        assert (room.title, room.capacity, room.mode.value, room.seats_taken) == (
            "금요일 노래방 🎤",
            8,
            "casual",
            1,
        )
        assert room.host_id == mina.id and room.status.value == "lobby"
        assert [m.user_id for m in db.session.scalars(select(RoomMember))] == [mina.id]
    page = mina.client.get(f"/rooms/{room_id}").get_data(as_text=True)
    assert "금요일 노래방 🎤" in page and "Start the show" in page


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("title", "", "This field is required"),
        ("title", "x" * 81, "between 1 and 80"),
        ("description", "x" * 1001, "longer than 1000"),
        ("category", "opera", "Not a valid choice"),
        ("mode", "secret", "Not a valid choice"),
        ("capacity", "1", "between 2 and 50"),
        ("capacity", "51", "between 2 and 50"),
        ("capacity", "ten", "Not a valid integer"),
        ("capacity", "", "This field is required"),
    ],
)
def test_bad_room_forms_redisplay_with_what_was_typed(show_people, app, field, value, message):
    (mina,) = show_people("mina")
    data = {
        "title": "Keep this title",
        "description": "Keep this text",
        "category": "dance",
        "mode": "casual",
        "capacity": "7",
        field: value,
    }
    response = post(mina.client, "/rooms/", data)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message in html
    if field != "title":
        assert 'value="Keep this title"' in html
    if field != "description":
        assert "Keep this text" in html
    if field != "capacity":
        assert 'value="7"' in html
    assert room_count(app) == 0


def test_bad_room_form_over_htmx_answers_the_form_fragment(show_people, app):
    (mina,) = show_people("mina")
    response = post(
        mina.client,
        "/rooms/",
        {"title": "", "category": "dance", "mode": "casual", "capacity": "7"},
        htmx=True,
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith("<form") and "<html" not in html
    assert room_count(app) == 0


def test_htmx_create_redirects_to_the_room(show_people):
    (mina,) = show_people("mina")
    response = post(
        mina.client,
        "/rooms/",
        {"title": "Jam", "category": "instrument", "mode": "ranked", "capacity": "4"},
        htmx=True,
    )
    assert response.status_code == 204
    assert re.fullmatch(r"/rooms/\d+", response.headers["HX-Redirect"])


# --- the list --------------------------------------------------------------------------------


@pytest.fixture
def listed_rooms(app):
    """Rooms in every state, made straight in the tables."""
    with app.app_context():
        host = factories.user("host", "호스트")
        fan = factories.user("fan")
        ids = {
            "karaoke": factories.room(host, title="Friday karaoke", category="karaoke"),
            "dance": factories.room(
                host, title="Dance night", category="dance", mode="casual", member_ids=(fan,)
            ),
            "live": factories.room(host, title="Live comedy", category="comedy", status="live"),
            "done": factories.room(host, title="Old finished show", status="finished"),
            "gone": factories.room(host, title="Cancelled thing", status="cancelled"),
        }
        live = db.session.get(Room, ids["live"])
        from app.models import Performance

        performance = Performance(room_id=live.id, performer_id=host, turn=1, category="comedy")
        db.session.add(performance)
        db.session.flush()
        live.current_performance_id = performance.id
        db.session.get(Room, ids["karaoke"]).description = "Ballads & 트로트 only"
        db.session.commit()
    return ids


def test_the_list_shows_open_and_live_rooms_live_first(client, listed_rooms):
    html = client.get("/rooms/").get_data(as_text=True)
    assert card_titles(html) == ["Live comedy", "Dance night", "Friday karaoke"]
    cards = {card_titles(c)[0]: c for c in html.split('<li class="room-card')[1:]}
    assert "On air" in cards["Live comedy"] and "Host: 호스트" in cards["Live comedy"]
    assert "Live" in cards["Live comedy"] and "Stand-up" in cards["Live comedy"]
    assert "2/10 seats" in cards["Dance night"] and "Casual" in cards["Dance night"]
    assert "On air" not in cards["Dance night"]


@pytest.mark.parametrize(
    ("query", "titles"),
    [
        ("q=KARAOKE", ["Friday karaoke"]),
        ("q=트로트", ["Friday karaoke"]),
        ("q=%25", []),
        ("category=dance", ["Dance night"]),
        ("mode=casual", ["Dance night"]),
        ("mode=ranked", ["Live comedy", "Friday karaoke"]),
        ("status=live", ["Live comedy"]),
        ("status=open", ["Dance night", "Friday karaoke"]),
        ("status=finished", ["Live comedy", "Dance night", "Friday karaoke"]),
        ("category=nope&mode=nope", ["Live comedy", "Dance night", "Friday karaoke"]),
    ],
)
def test_search_and_filters(client, listed_rooms, query, titles):
    assert card_titles(client.get(f"/rooms/?{query}").get_data(as_text=True)) == titles


def test_htmx_search_answers_only_the_cards(client, listed_rooms):
    response = client.get("/rooms/?q=dance", headers=HTMX)
    html = response.get_data(as_text=True)
    assert "<html" not in html and card_titles(html) == ["Dance night"]
    assert "HX-Request" in response.headers["Vary"]


def test_pages_scroll_forever_with_plain_links_too(client, app):
    app.config["ROOMS_PER_PAGE"] = 2
    with app.app_context():
        host = factories.user("host")
        for n in range(5):
            factories.room(host, title=f"Room {n}")
    first = client.get("/rooms/").get_data(as_text=True)
    assert card_titles(first) == ["Room 4", "Room 3"]
    assert 'hx-trigger="revealed"' in first and 'href="/rooms/?page=2"' in first
    second = client.get("/rooms/?page=2", headers=HTMX).get_data(as_text=True)
    assert card_titles(second) == ["Room 2", "Room 1"]
    assert "/rooms/?page=3" in second
    last = client.get("/rooms/?page=3").get_data(as_text=True)
    assert card_titles(last) == ["Room 0"]
    assert "revealed" not in last and 'href="/rooms/?page=2"' in last
    assert card_titles(client.get("/rooms/?page=abc").get_data(as_text=True)) == [
        "Room 4",
        "Room 3",
    ]
    assert card_titles(client.get("/rooms/?page=99", headers=HTMX).get_data(as_text=True)) == []


def test_filters_are_kept_on_the_next_page_link(client, app):
    app.config["ROOMS_PER_PAGE"] = 1
    with app.app_context():
        host = factories.user("host")
        factories.room(host, title="Dance one", category="dance")
        factories.room(host, title="Dance two", category="dance")
    html = client.get("/rooms/?category=dance&q=dance").get_data(as_text=True)
    assert "/rooms/?page=2&amp;q=dance&amp;category=dance" in html


def test_user_text_is_escaped(show_people, client):
    (mina,) = show_people("mina")
    room_id = mina.create_room(title="<script>alert(1)</script>", description="<b>hi</b>")
    for html in (
        client.get("/rooms/").get_data(as_text=True),
        client.get(f"/rooms/{room_id}").get_data(as_text=True),
    ):
        assert "<script>alert(1)</script>" not in html
        assert "&lt;script&gt;" in html


def test_built_in_form_messages_follow_the_language_of_each_request(show_people, app):
    """WTForms' own messages come from a catalogue read once per language, never mixed up."""
    (mina,) = show_people("mina")
    data = {"title": "Quiz", "category": "dance", "mode": "casual", "capacity": "ten"}
    for language, message in [
        ("ko-KR,ko;q=0.9", "올바르지 않은 정수 값입니다."),
        ("en-US,en;q=0.9", "Not a valid integer value."),
        ("ko-KR,ko;q=0.9", "올바르지 않은 정수 값입니다."),
    ]:
        response = post(mina.client, "/rooms/", data, headers={"Accept-Language": language})
        assert response.status_code == 400
        assert message in response.get_data(as_text=True), language
    assert room_count(app) == 0
