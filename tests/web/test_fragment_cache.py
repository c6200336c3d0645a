"""Kept fragments (app/fragment_cache.py): each viewer still sees exactly their own page.

Member rows, result rows and chat lines are rendered once per key and copied. These tests
change what a kept fragment shows, between two views of the same page by someone who has
the old one kept, and read the page again through HTTP.
"""

from __future__ import annotations

import re

from sqlalchemy import select

from app.extensions import db
from app.fragment_cache import FragmentStore
from app.models import Message
from app.services.chat.render import render_line_per_locale
from tests.support.web import HTMX, post
from tests.web.chat_helpers import say


def member_row(html: str, user_id: int) -> str:
    """The `<li>` of one member in a stage fragment."""
    match = re.search(rf'<li class="member[^"]*" data-user-id="{user_id}">.*?</li>', html, re.S)
    assert match, f"no row for member {user_id}"
    return match.group(0)


def stage(person, room_id: int) -> str:
    response = person.client.get(f"/rooms/{room_id}/stage", headers=HTMX)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_a_member_row_follows_every_change_it_shows(show_room):
    room_id, (mina, junho, seoyeon) = show_room("mina", "junho", "seoyeon")
    before = member_row(stage(seoyeon, room_id), junho.id)
    assert "junho" in before and "is-on-air" not in member_row(stage(seoyeon, room_id), mina.id)

    data = {"display_name": "준호 <b>", "bio": ""}
    assert post(junho.client, "/settings/profile", data).status_code == 303
    assert mina.act(room_id, "start").status_code == 303

    after = stage(seoyeon, room_id)
    assert "준호 &lt;b&gt;" in member_row(after, junho.id)
    assert ">junho<" not in member_row(after, junho.id)
    assert "is-on-air" in member_row(after, mina.id)


def test_the_hosts_menu_is_never_copied_to_another_viewer(show_room):
    room_id, (mina, junho, seoyeon) = show_room("mina", "junho", "seoyeon")
    assert f'id="make-host-{junho.id}"' not in stage(seoyeon, room_id)

    hosts = stage(mina, room_id)
    assert f'id="make-host-{junho.id}"' in member_row(hosts, junho.id)
    assert f'id="remove-{seoyeon.id}"' in member_row(hosts, seoyeon.id)

    again = stage(seoyeon, room_id)
    assert "make-host-" not in again and "csrf_token" not in member_row(again, junho.id)


def test_rows_are_kept_per_language(show_room):
    room_id, (mina, junho, seoyeon) = show_room("mina", "junho", "seoyeon")
    assert post(junho.client, "/language", {"lang": "en", "next": "/"}).status_code == 303
    assert post(seoyeon.client, "/language", {"lang": "ko", "next": "/"}).status_code == 303

    for _ in range(2):  # the second round reads what the first one kept
        assert '<span class="badge">Host</span>' in member_row(stage(junho, room_id), mina.id)
        assert '<span class="badge">방장</span>' in member_row(stage(seoyeon, room_id), mina.id)


def chat_line(html: str, text: str) -> str:
    """The `<li>` of the chat line that says `text`."""
    match = re.search(rf'<li class="chat-line[^"]*"[^>]*>(?:(?!</li>).)*{text}.*?</li>', html, re.S)
    assert match, f"no line saying {text!r}"
    return match.group(0)


def test_a_chat_line_is_copied_with_only_what_its_viewer_may_see(show_room):
    room_id, (mina, junho, seoyeon) = show_room("mina", "junho", "seoyeon")
    assert say(junho.client, f"/rooms/{room_id}/messages", "first <song>").status_code == 201

    def line_for(person) -> str:
        page = person.client.get(f"/rooms/{room_id}")
        assert page.status_code == 200
        return chat_line(page.get_data(as_text=True), "first &lt;song&gt;")

    for _ in range(2):
        theirs = line_for(seoyeon)
        assert "is-mine" not in theirs and "chat-line-delete" not in theirs
        mine = line_for(junho)
        assert "is-mine" in mine and "chat-line-delete" in mine
        hosts = line_for(mina)
        assert "is-mine" not in hosts and "chat-line-delete" in hosts

    message_id = re.search(r'data-id="(\d+)"', mine).group(1)
    deleted = post(junho.client, f"/rooms/{room_id}/messages/{message_id}/delete", {})
    assert deleted.status_code == 303
    page = seoyeon.client.get(f"/rooms/{room_id}").get_data(as_text=True)
    assert "first &lt;song&gt;" not in page
    assert 'class="chat-system chat-removed"' in page


def test_the_store_drops_the_least_recently_used_past_its_bound():
    store = FragmentStore(max_characters=10)
    store.put(("a",), "aaaa")
    store.put(("b",), "bbbb")
    assert store.get(("a",)) == "aaaa"  # now a is the recent one
    store.put(("c",), "cccc")
    assert store.get(("b",)) is None
    assert store.get(("a",)) == "aaaa" and store.get(("c",)) == "cccc"
    store.put(("a",), "A")
    assert len(store) == 2 and store.get(("a",)) == "A"


def test_a_broadcast_line_is_kept_per_language(app, show_room):
    """The post renders its line once per language in one request (force_locale)."""
    room_id, (_host, junho) = show_room("mina", "junho")
    assert say(junho.client, f"/rooms/{room_id}/messages", "hello").status_code == 201
    with app.test_request_context():
        message = db.session.scalar(select(Message).where(Message.body == "hello"))
        for _ in range(2):
            lines = render_line_per_locale(message)
            assert ">Report</a>" in lines["en"] and ">신고</a>" in lines["ko"]


def room_card(html: str, room_id: int) -> str:
    """The `<li>` of one room on the rooms list."""
    match = re.search(rf'<li class="room-card card" data-room-id="{room_id}">.*?</li>', html, re.S)
    assert match, f"no card for room {room_id}"
    return match.group(0)


def test_a_room_card_follows_its_seats_its_host_and_its_show(show_people):
    mina, junho, seoyeon = show_people("mina", "junho", "seoyeon")
    room_id = mina.create_room(title="Ballads <3")

    def card() -> str:
        page = seoyeon.client.get("/rooms/")
        assert page.status_code == 200
        return room_card(page.get_data(as_text=True), room_id)

    first = card()
    assert "1/10" in first and "Ballads &lt;3" in first and "On air" not in first
    assert junho.act(room_id, "join").status_code == 303
    assert (
        post(mina.client, "/settings/profile", {"display_name": "민아", "bio": ""}).status_code
        == 303
    )
    second = card()
    assert "2/10" in second and "민아" in second
    assert mina.act(room_id, "start").status_code == 303
    assert "On air" in card()


def test_a_finished_shows_results_follow_a_rename_and_a_late_score(app, client):
    """The results are kept whole, by their rows: any change to a row shows at once."""
    from app.models import Score, User
    from tests.support import factories

    with app.app_context():
        mina, junho, yuna = (factories.user(name) for name in ("mina", "junho", "yuna"))
        room_id = factories.room(mina, status="finished", member_ids=(junho, yuna))
        factories.finished_performance(room_id, junho, {mina: 8, yuna: 6})
        late = factories.finished_performance(room_id, yuna, {mina: 9})

    def table() -> str:
        page = client.get(f"/rooms/{room_id}")
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        return html[html.index('<table class="table results-table">') :]

    first = table()
    assert ">junho</th>" in first and ">7.00<" in first
    with app.app_context():
        db.session.get(User, junho).display_name = "준호 <b>"
        db.session.add(Score(performance_id=late, scorer_id=junho, value=7))
        db.session.commit()
    second = table()
    assert ">준호 &lt;b&gt;</th>" in second and ">junho</th>" not in second
    assert re.search(r">yuna</th>\s*<td>9.00</td>\s*<td>2</td>", second)  # two scores now


def _tab_bar(html: str) -> str:
    match = re.search(r'<nav class="tabbar".*?</nav>', html, re.S)
    assert match, "no tab bar"
    return match.group(0)


def test_the_tab_bar_follows_the_page_the_viewer_and_the_unread_count(app, client):
    from tests.web.chat_helpers import person, start_group

    mina, _ = person(app, "mina")
    junho, _ = person(app, "junho")
    rooms = _tab_bar(mina.get("/rooms/").get_data(as_text=True))
    assert re.search(r'href="/rooms/"\s+aria-current="page"', rooms)
    board = _tab_bar(mina.get("/leaderboard").get_data(as_text=True))
    assert re.search(r'href="/leaderboard"\s+aria-current="page"', board)
    assert not re.search(r'href="/rooms/"\s+aria-current', board)
    assert 'data-unread="0"' in board and 'href="/chats/"' in board
    # A visitor on the same page has no Chats tab, though Mina's bar is kept.
    visitor = _tab_bar(client.get("/leaderboard").get_data(as_text=True))
    assert 'href="/chats/"' not in visitor and "nav-chat-badge" not in visitor
    # A new line for Mina changes her count on the next page.
    group = start_group(junho, "Crew", "mina")
    say(junho, f"/chats/{group}/messages", "hello")
    again = _tab_bar(mina.get("/leaderboard").get_data(as_text=True))
    assert 'data-unread="2"' in again  # "started the group" and "hello"
