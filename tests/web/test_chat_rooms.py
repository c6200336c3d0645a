"""Room chat over HTTP: members read and write, everyone else gets 404 or the login page."""

from __future__ import annotations

from flask import render_template
from sqlalchemy import select

from app.database import utcnow
from app.extensions import db
from app.models import Message, RoomMember
from tests.support.statements import StatementLog
from tests.support.web import HTMX, post
from tests.web.chat_helpers import (
    client_id,
    history,
    message_count,
    person,
    room_channel,
    room_with,
    say,
    seqs,
)


def test_member_posts_and_sees_the_line_at_once_with_a_sequence_number(app):
    mina, mina_id = person(app, "mina", "김민아")
    junho, junho_id = person(app, "junho", "박준호")
    room_id = room_with(app, mina_id, junho_id)

    first = say(mina, f"/rooms/{room_id}/messages", "안녕하세요 🎤")
    assert first.status_code == 201
    assert first.headers["X-Chat-Seq"] == "1"
    html = first.get_data(as_text=True)
    assert "안녕하세요 🎤" in html and "김민아" in html and "is-mine" in html
    second = say(junho, f"/rooms/{room_id}/messages", "반가워요")
    assert second.headers["X-Chat-Seq"] == "2"
    assert history(mina, f"/rooms/{room_id}/messages") == [1, 2]
    with app.app_context():
        stored = db.session.scalars(select(Message).order_by(Message.seq)).all()
        assert [(m.seq, m.sender_id, m.body) for m in stored] == [
            (1, mina_id, "안녕하세요 🎤"),
            (2, junho_id, "반가워요"),
        ]


def test_plain_form_post_returns_to_the_room_page_it_came_from(app):
    mina, mina_id = person(app, "mina")
    room_id = room_with(app, mina_id)
    response = say(mina, f"/rooms/{room_id}/messages", "no scripts here", htmx=False)
    assert response.status_code == 303
    assert response.headers["Location"] == f"/rooms/{room_id}/messages#chat"

    response = post(
        mina,
        f"/rooms/{room_id}/messages",
        {"body": "from the room page", "client_id": client_id()},
        headers={"Referer": f"http://localhost/rooms/{room_id}"},
    )
    assert response.headers["Location"] == f"/rooms/{room_id}#chat"
    response = post(
        mina,
        f"/rooms/{room_id}/messages",
        {"body": "from another room", "client_id": client_id()},
        headers={"Referer": f"http://localhost/rooms/{room_id}0"},
    )
    assert response.headers["Location"] == f"/rooms/{room_id}/messages#chat"
    # A foreign referrer never decides where we send people.
    response = post(
        mina,
        f"/rooms/{room_id}/messages",
        {"body": "fourth", "client_id": client_id()},
        headers={"Referer": f"https://evil.example/rooms/{room_id}"},
    )
    assert response.headers["Location"] == f"/rooms/{room_id}/messages#chat"
    page = mina.get(f"/rooms/{room_id}/messages").get_data(as_text=True)
    assert "no scripts here" in page and "from the room page" in page
    assert f'action="/rooms/{room_id}/messages"' in page
    assert 'name="client_id" value="' in page  # a server-made id for forms sent without JS


def test_history_pages_latest_before_and_after(app):
    mina, mina_id = person(app, "mina")
    room_id = room_with(app, mina_id)
    channel_id = _channel_with_lines(app, room_id, mina_id, 60)

    url = f"/rooms/{room_id}/messages"
    latest = mina.get(url, headers=HTMX)
    assert seqs(latest.get_data(as_text=True)) == list(range(11, 61))
    assert "?before=11" in latest.get_data(as_text=True)
    assert history(mina, url, before=11) == list(range(1, 11))
    assert history(mina, url, after=55) == [56, 57, 58, 59, 60]
    assert history(mina, url, after=60) == []
    assert channel_id == room_channel(app, room_id)
    for bad in ("x", "-1", "1.5"):
        assert mina.get(url, query_string={"after": bad}, headers=HTMX).status_code == 400


def _channel_with_lines(app, room_id: int, sender_id: int, count: int) -> int:
    """Write `count` lines straight through the persist step (no flood limits in the way)."""
    from app.database import begin_write
    from app.services import chat

    with app.app_context():
        channel_id = chat.room_channel_id(room_id)
        begin_write()
        for n in range(1, count + 1):
            chat.persist(channel_id, sender_id, f"line {n}")
        db.session.commit()
    return channel_id


def _members_only(app, room_id: int) -> None:
    """The host made the chat members-only (show rule 10, second edition)."""
    from app.models import Room

    with app.app_context():
        db.session.get(Room, room_id).chat_members_only = True
        db.session.commit()


def test_spectators_read_and_post_unless_the_chat_is_members_only(app):
    mina, mina_id = person(app, "mina")
    fan, _ = person(app, "fan")
    room_id = room_with(app, mina_id, status="live")
    say(mina, f"/rooms/{room_id}/messages", "welcome")
    assert say(fan, f"/rooms/{room_id}/messages", "hello from the crowd").status_code == 201
    assert history(fan, f"/rooms/{room_id}/messages") == [1, 2]
    _members_only(app, room_id)
    assert fan.get(f"/rooms/{room_id}/messages").status_code == 404
    assert say(fan, f"/rooms/{room_id}/messages", "still here?").status_code == 404
    assert message_count(app) == 2


def test_non_members_get_404_and_nothing_is_written(app):
    # Second edition: only when the host made the chat members-only.
    mina, mina_id = person(app, "mina")
    stranger, _ = person(app, "stranger")
    room_id = room_with(app, mina_id)
    _members_only(app, room_id)
    say(mina, f"/rooms/{room_id}/messages", "members only")

    assert stranger.get(f"/rooms/{room_id}/messages").status_code == 404
    assert stranger.get(f"/rooms/{room_id}/messages?after=0", headers=HTMX).status_code == 404
    assert say(stranger, f"/rooms/{room_id}/messages", "let me in").status_code == 404
    assert say(stranger, "/rooms/999/messages", "no such room").status_code == 404
    assert message_count(app) == 1


def test_a_member_who_left_the_lobby_cannot_read_or_post(app):
    _mina, mina_id = person(app, "mina")
    junho, junho_id = person(app, "junho")
    room_id = room_with(app, mina_id, junho_id)
    _members_only(app, room_id)  # second edition: otherwise a leaver chats as a spectator
    with app.app_context():
        seat = db.session.scalar(select(RoomMember).where(RoomMember.user_id == junho_id))
        seat.left_at = utcnow()
        db.session.commit()
    assert junho.get(f"/rooms/{room_id}/messages").status_code == 404
    assert say(junho, f"/rooms/{room_id}/messages", "bye?").status_code == 404
    assert message_count(app) == 0


def test_finished_and_live_rooms_keep_their_chat(app):
    mina, mina_id = person(app, "mina")
    junho, junho_id = person(app, "junho")
    for status in ("live", "finished"):
        room_id = room_with(app, mina_id, junho_id, status=status)
        assert say(junho, f"/rooms/{room_id}/messages", f"gg {status}").status_code == 201
        assert history(mina, f"/rooms/{room_id}/messages") == [1]


def test_anonymous_visitors_are_sent_to_log_in(client, app):
    _mina, mina_id = person(app, "mina")
    room_id = room_with(app, mina_id)
    response = client.get(f"/rooms/{room_id}/messages")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    response = post(client, f"/rooms/{room_id}/messages", {"body": "hi", "client_id": client_id()})
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    assert message_count(app) == 0


def test_post_without_csrf_token_is_refused(app):
    mina, mina_id = person(app, "mina")
    room_id = room_with(app, mina_id)
    response = mina.post(
        f"/rooms/{room_id}/messages", data={"body": "hi", "client_id": client_id()}
    )
    assert response.status_code == 400
    assert message_count(app) == 0


def test_retried_post_with_the_same_client_id_is_stored_once(app):
    mina, mina_id = person(app, "mina")
    room_id = room_with(app, mina_id)
    cid = client_id()
    first = say(mina, f"/rooms/{room_id}/messages", "only once", cid)
    again = say(mina, f"/rooms/{room_id}/messages", "only once", cid)
    plain = say(mina, f"/rooms/{room_id}/messages", "only once", cid, htmx=False)
    assert (first.status_code, again.status_code, plain.status_code) == (201, 200, 303)
    assert first.headers["X-Chat-Seq"] == again.headers["X-Chat-Seq"] == "1"
    assert first.get_data(as_text=True) == again.get_data(as_text=True)
    assert message_count(app) == 1


def test_client_id_from_another_channel_is_a_conflict(app):
    mina, mina_id = person(app, "mina")
    one, two = room_with(app, mina_id), room_with(app, mina_id)
    cid = client_id()
    assert say(mina, f"/rooms/{one}/messages", "here", cid).status_code == 201
    assert say(mina, f"/rooms/{two}/messages", "there", cid).status_code == 409
    assert say(mina, f"/rooms/{two}/messages", "bad id", "no spaces allowed").status_code == 400
    assert message_count(app) == 1


def test_room_panel_for_members_visitors_and_strangers(app):
    from app.models import Room

    mina, mina_id = person(app, "mina")
    person(app, "stranger")
    room_id = room_with(app, mina_id)
    say(mina, f"/rooms/{room_id}/messages", "panel line")

    def panel(username: str | None) -> str:
        with app.test_request_context("/", headers={"Accept-Language": "en"}):
            from flask_login import login_user

            from app.models import User

            if username:
                login_user(db.session.scalar(select(User).where(User.username_key == username)))
            return render_template("chat/_room_panel.html", room=db.session.get(Room, room_id))

    member = panel("mina")
    assert (
        "panel line" in member
        and f'data-subscribe="channel:{room_channel(app, room_id)}"' in member
    )
    assert f'action="/rooms/{room_id}/messages"' in member and "js/chat.js" in member
    # Second edition: a logged-in spectator reads the chat unless it is members-only.
    assert "panel line" in panel("stranger")
    _members_only(app, room_id)
    stranger = panel("stranger")
    assert "panel line" not in stranger and "Join the room" in stranger
    assert panel(None).strip() == ""


def test_the_room_page_shows_the_chat_by_the_stages_seat_check(app):
    """The room page's panel reuses the stage's reading of the viewer's seat (one
    statement fewer) and still applies the whole rule: members, spectators, members-only."""
    mina, mina_id = person(app, "mina")
    stranger, _ = person(app, "stranger")
    room_id = room_with(app, mina_id)
    say(mina, f"/rooms/{room_id}/messages", "page line")
    with StatementLog(app) as log, log.during() as sent:
        member = mina.get(f"/rooms/{room_id}").get_data(as_text=True)
    assert "page line" in member and f'action="/rooms/{room_id}/messages"' in member
    seat_reads = [s for s in sent if " ".join(s.split()).startswith("SELECT room_members.id")]
    assert seat_reads == []
    assert "page line" in stranger.get(f"/rooms/{room_id}").get_data(as_text=True)
    _members_only(app, room_id)
    assert "page line" in mina.get(f"/rooms/{room_id}").get_data(as_text=True)
    hidden = stranger.get(f"/rooms/{room_id}").get_data(as_text=True)
    assert "page line" not in hidden and f'action="/rooms/{room_id}/messages"' not in hidden
