"""Direct and group conversations: start, list, unread counts, rename, leave, access."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Channel
from tests.support.web import HTMX, post
from tests.web.chat_helpers import (
    client_id,
    history,
    membership,
    message_count,
    person,
    say,
    start_direct,
    start_group,
)


def channel_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Channel.id)))


def test_direct_conversation_is_unique_per_pair_whoever_starts_it(app):
    mina, mina_id = person(app, "mina", "김민아")
    junho, junho_id = person(app, "junho", "박준호")
    first = start_direct(mina, "junho")
    assert start_direct(junho, "MINA") == first
    response = post(mina, "/users/junho/message")
    assert response.status_code == 303 and response.headers["Location"] == f"/chats/{first}"
    assert channel_count(app) == 1
    with app.app_context():
        channel = db.session.get(Channel, first)
        assert channel.direct_key == f"{min(mina_id, junho_id)}:{max(mina_id, junho_id)}"
    page = mina.get(f"/chats/{first}").get_data(as_text=True)
    assert "박준호" in page  # a direct conversation is named after the other person


def test_direct_with_yourself_or_nobody_is_refused(app):
    mina, _ = person(app, "mina")
    assert post(mina, "/chats/direct", {"username": "mina"}).status_code == 400
    assert post(mina, "/chats/direct", {"username": "ghost"}).status_code == 404
    assert post(mina, "/users/ghost/message").status_code == 404
    assert channel_count(app) == 0


def test_group_with_title_and_members_and_a_system_line(app):
    mina, _ = person(app, "mina", "김민아")
    junho, _ = person(app, "junho")
    seoyeon, _ = person(app, "seoyeon")
    outsider, _ = person(app, "outsider")
    group = start_group(mina, "Karaoke crew 🎤", "@junho, SEOYEON")
    for member in (mina, junho, seoyeon):
        page = member.get(f"/chats/{group}")
        assert page.status_code == 200
        assert "Karaoke crew 🎤" in page.get_data(as_text=True)
        assert "김민아 started the group." in page.get_data(as_text=True)
    assert outsider.get(f"/chats/{group}").status_code == 404


@pytest.mark.parametrize(
    ("title", "members", "message"),
    [
        ("", "junho", "Give the group a title."),
        ("x" * 81, "junho", "at most 80"),
        ("Crew", "", "Choose at least one person"),
        ("Crew", "mina", "Choose at least one person"),
        ("Crew", "junho ghost nobody", "We could not find: ghost, nobody."),
    ],
)
def test_bad_group_input_is_refused_and_nothing_is_written(app, title, members, message):
    mina, _ = person(app, "mina")
    person(app, "junho")
    response = post(mina, "/chats/new", {"title": title, "members": members})
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert channel_count(app) == 0 and message_count(app) == 0


def test_list_shows_last_line_and_unread_counts_and_opening_reads(app):
    mina, _ = person(app, "mina")
    junho, _ = person(app, "junho", "박준호")
    direct = start_direct(mina, "junho")
    for text in ("one", "two", "three"):
        assert say(junho, f"/chats/{direct}/messages", text).status_code == 201

    listing = mina.get("/chats/").get_data(as_text=True)
    assert "박준호: three" in listing
    assert 'class="chat-unread"' in listing and ">3</span>" in listing
    assert 'id="nav-chat-badge"' in listing and 'data-unread="3"' in listing
    assert mina.get("/chats/badge").get_data(as_text=True).count('data-unread="3"') == 1
    # Whoever writes a line has read up to it: junho's own lines are never unread to him.
    assert 'data-unread="0"' in junho.get("/chats/badge").get_data(as_text=True)

    mina.get(f"/chats/{direct}")  # opening the conversation reads it
    assert 'data-unread="0"' in mina.get("/chats/badge").get_data(as_text=True)
    fragment = mina.get("/chats/", headers=HTMX).get_data(as_text=True)
    assert fragment.lstrip().startswith('<div class="chat-list-wrap" id="conversation-list"')
    assert 'class="chat-unread"' not in fragment


def test_read_mark_only_moves_forward(app):
    mina, mina_id = person(app, "mina")
    junho, _ = person(app, "junho")
    direct = start_direct(mina, "junho")
    for text in ("one", "two", "three", "four"):
        say(junho, f"/chats/{direct}/messages", text)
    assert (
        post(mina, f"/chats/{direct}/read", {"seq": "2"}, htmx=True).headers["X-Chat-Unread"] == "2"
    )
    assert (
        post(mina, f"/chats/{direct}/read", {"seq": "1"}, htmx=True).headers["X-Chat-Unread"] == "2"
    )
    assert (
        post(mina, f"/chats/{direct}/read", {"seq": "999"}, htmx=True).headers["X-Chat-Unread"]
        == "0"
    )
    assert membership(app, direct, mina_id).last_read_seq == 4
    assert post(mina, f"/chats/{direct}/read", {"seq": "abc"}).status_code == 400


def test_rename_a_group_shows_a_system_line_and_directs_cannot_be_renamed(app):
    mina, _ = person(app, "mina", "김민아")
    junho, _ = person(app, "junho")
    group = start_group(mina, "Crew", "junho")
    response = post(junho, f"/chats/{group}/rename", {"title": "Night owls"})
    assert response.status_code == 303
    page = mina.get(f"/chats/{group}").get_data(as_text=True)
    assert "Night owls" in page and "renamed the group to “Night owls”" in page
    assert post(junho, f"/chats/{group}/rename", {"title": "  "}).status_code == 400
    direct = start_direct(mina, "junho")
    assert post(mina, f"/chats/{direct}/rename", {"title": "Us"}).status_code == 403
    with app.app_context():
        assert db.session.get(Channel, group).title == "Night owls"
        assert db.session.get(Channel, direct).title == ""


def test_leaving_shows_a_system_line_and_ends_access(app):
    mina, mina_id = person(app, "mina", "김민아")
    junho, junho_id = person(app, "junho", "박준호")
    group = start_group(mina, "Crew", "junho")
    say(mina, f"/chats/{group}/messages", "before you go")
    response = post(junho, f"/chats/{group}/leave")
    assert response.status_code == 303 and response.headers["Location"] == "/chats/"

    assert "박준호 left the conversation." in mina.get(f"/chats/{group}").get_data(as_text=True)
    assert junho.get(f"/chats/{group}").status_code == 404
    assert junho.get(f"/chats/{group}/messages?after=0", headers=HTMX).status_code == 404
    before = message_count(app)
    assert say(junho, f"/chats/{group}/messages", "still here?").status_code == 404
    assert post(junho, f"/chats/{group}/leave").status_code == 404
    assert post(junho, f"/chats/{group}/rename", {"title": "Mine now"}).status_code == 404
    assert message_count(app) == before
    assert "Crew" not in junho.get("/chats/", headers=HTMX).get_data(as_text=True)
    assert membership(app, group, junho_id).left_at is not None
    assert membership(app, group, mina_id).left_at is None


def test_reopening_a_direct_conversation_brings_back_who_left(app):
    mina, _ = person(app, "mina")
    junho, _ = person(app, "junho")
    direct = start_direct(mina, "junho")
    post(junho, f"/chats/{direct}/leave")
    assert junho.get(f"/chats/{direct}").status_code == 404
    assert start_direct(mina, "junho") == direct
    assert junho.get(f"/chats/{direct}").status_code == 200


def test_conversation_history_and_posting_for_members_only(app):
    mina, _ = person(app, "mina")
    junho, _ = person(app, "junho")
    stranger, _ = person(app, "stranger")
    direct = start_direct(mina, "junho")
    assert say(mina, f"/chats/{direct}/messages", "hi", htmx=False).headers["Location"] == (
        f"/chats/{direct}#composer"
    )
    say(junho, f"/chats/{direct}/messages", "hello")
    assert history(junho, f"/chats/{direct}/messages", after=0) == [1, 2]
    assert history(junho, f"/chats/{direct}/messages", after=1) == [2]
    assert stranger.get(f"/chats/{direct}/messages").status_code == 404
    assert say(stranger, f"/chats/{direct}/messages", "intrude").status_code == 404
    assert stranger.get("/chats/424242").status_code == 404
    assert message_count(app) == 2


def test_room_channels_are_not_conversations(app):
    from tests.web.chat_helpers import room_channel, room_with

    mina, mina_id = person(app, "mina")
    room_id = room_with(app, mina_id)
    say(mina, f"/rooms/{room_id}/messages", "room line")
    channel_id = room_channel(app, room_id)
    assert mina.get(f"/chats/{channel_id}").status_code == 404
    assert post(mina, f"/chats/{channel_id}/leave").status_code == 404


PROTECTED_POSTS = [
    "/chats/new",
    "/chats/direct",
    "/users/junho/message",
    "/chats/{id}/messages",
    "/chats/{id}/read",
    "/chats/{id}/rename",
    "/chats/{id}/leave",
]


@pytest.mark.parametrize("url", PROTECTED_POSTS)
def test_state_changing_routes_need_login(app, client, url):
    mina, _ = person(app, "mina")
    person(app, "junho")
    group = start_group(mina, "Crew", "junho")
    before = (channel_count(app), message_count(app))
    response = post(client, url.format(id=group), {"title": "x", "members": "junho", "body": "x"})
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    assert (channel_count(app), message_count(app)) == before


@pytest.mark.parametrize("url", PROTECTED_POSTS)
def test_state_changing_routes_need_the_csrf_token(app, url):
    mina, _ = person(app, "mina")
    person(app, "junho")
    group = start_group(mina, "Crew", "junho")
    before = (channel_count(app), message_count(app))
    data = {"title": "x", "members": "junho", "body": "x", "client_id": client_id(), "seq": "1"}
    assert mina.post(url.format(id=group), data=data).status_code == 400
    assert (channel_count(app), message_count(app)) == before
    assert membership(app, group, 1).left_at is None


@pytest.mark.parametrize(
    "url", ["/chats/", "/chats/new", "/chats/badge", "/chats/1", "/chats/1/messages"]
)
def test_reading_routes_need_login(client, url):
    response = client.get(url)
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_nav_badge_is_empty_for_visitors_and_present_for_members(app, client):
    home = client.get("/").get_data(as_text=True)
    assert "nav-chat-badge" not in home and "/chats/" not in home
    mina, _ = person(app, "mina")
    page = mina.get("/").get_data(as_text=True)
    assert 'id="nav-chat-badge"' in page and "hidden" in page.split('id="nav-chat-badge"')[1][:300]


def test_no_js_paging_and_group_prefill(app):
    from app.database import begin_write
    from app.services import chat

    mina, mina_id = person(app, "mina")
    person(app, "junho")
    assert 'value="junho"' in mina.get("/chats/new?with=junho").get_data(as_text=True)
    group = start_group(mina, "Crew", "junho")
    with app.app_context():
        begin_write()
        for n in range(60):
            chat.persist(group, mina_id, f"line {n}")
        db.session.commit()
    page = mina.get(f"/chats/{group}").get_data(as_text=True)
    assert f'href="/chats/{group}?before=12#chat"' in page
    older = mina.get(f"/chats/{group}?before=12").get_data(as_text=True)
    assert "line 0<" in older and "line 11<" not in older.split("line 9<")[0]
    assert "Back to the latest messages" in older


def test_profile_message_button_opens_the_direct_conversation(app):
    from tests.web.chat_helpers import person

    mina, _ = person(app, "mina", "김민아")
    person(app, "junho", "박준호")
    page = mina.get("/users/junho").get_data(as_text=True)
    assert 'action="/users/junho/message"' in page
    response = post(mina, "/users/junho/message")
    assert response.status_code == 303
    assert mina.get(response.headers["Location"]).status_code == 200
    again = post(mina, "/users/junho/message")
    assert again.headers["Location"] == response.headers["Location"]
    assert 'action="/users/mina/message"' not in mina.get("/users/mina").get_data(as_text=True)
