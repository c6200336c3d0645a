"""A chat post checks its own session: it does not load the signed-in user first, so every
way in is tried here (app/services/chat/post.py, app/sessions.py `session_claim`).

Run on SQLite, and on PostgreSQL with TEST_DATABASE_URL, where the session-token check is
part of the post's one statement.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Channel, Message, User
from tests.support.web import HTMX, AuthActions, browser_with, csrf_token, post
from tests.web.chat_helpers import (
    client_id,
    message_count,
    person,
    room_channel,
    room_with,
    say,
    start_group,
)


def _copy_session(client) -> dict[str, str]:
    """The browser's session cookie, copied."""
    return {"session": client.get_cookie("session").value}


def _last_seq(app, channel_id: int) -> int:
    """The last number the channel handed out."""
    with app.app_context():
        return db.session.scalar(select(Channel.last_seq).where(Channel.id == channel_id))


def _room_and_channel(app):
    """Mina (signed in) and Junho in a room whose chat has a line; its post URL and channel."""
    mina, mina_id = person(app, "mina")
    _junho, junho_id = person(app, "junho")
    room_id = room_with(app, mina_id, junho_id)
    url = f"/rooms/{room_id}/messages"
    assert say(mina, url, "first").status_code == 201
    return mina, mina_id, url, room_channel(app, room_id)


def _conversation(app):
    """Mina (signed in) in a group with Junho that has a line; its post URL and channel."""
    mina, mina_id = person(app, "mina")
    person(app, "junho")
    channel_id = start_group(mina, "Two of us", "junho")
    url = f"/chats/{channel_id}/messages"
    assert say(mina, url, "first").status_code == 201
    return mina, mina_id, url, channel_id


@pytest.mark.parametrize("where", [_room_and_channel, _conversation])
def test_a_copied_cookie_posts_nothing_once_its_user_signed_out(app, where):
    mina, _mina_id, url, channel_id = where(app)
    thief = browser_with(app, _copy_session(mina))
    token = csrf_token(thief)  # the copied session carries its CSRF secret too
    before = thief.post(
        url,
        data={"body": "while it worked", "client_id": client_id()},
        headers={**HTMX, "X-CSRFToken": token},
    )
    assert before.status_code == 201  # the copy was a real session until the sign-out
    assert AuthActions(mina).logout().status_code in (302, 303)
    stored, seq = message_count(app, channel_id), _last_seq(app, channel_id)

    htmx = thief.post(
        url,
        data={"body": "after", "client_id": client_id()},
        headers={**HTMX, "X-CSRFToken": token},
    )
    assert htmx.status_code == 401
    assert htmx.headers["HX-Redirect"].startswith("/auth/login")
    plain = thief.post(url, data={"body": "after", "client_id": client_id(), "csrf_token": token})
    assert plain.status_code == 302
    assert plain.headers["Location"].startswith("/auth/login")
    # Nothing stored, and no number taken: the next line is the next number.
    assert message_count(app, channel_id) == stored
    assert _last_seq(app, channel_id) == seq


def test_a_stale_cookie_does_not_spend_its_users_flood_window(app):
    app.config.update(CHAT_FLOOD_LINES=3, CHAT_FLOOD_SECONDS=60)
    mina, _mina_id, url, channel_id = _room_and_channel(app)
    thief = browser_with(app, _copy_session(mina))
    token = csrf_token(thief)
    AuthActions(mina).logout()
    for n in range(5):  # more than the window holds
        refused = thief.post(
            url,
            data={"body": f"spam {n}", "client_id": client_id()},
            headers={**HTMX, "X-CSRFToken": token},
        )
        assert refused.status_code == 401
    assert AuthActions(mina).login("mina").status_code == 303
    stored = message_count(app, channel_id)
    for n in range(3):
        assert say(mina, url, f"mine {n}").status_code == 201
    assert message_count(app, channel_id) == stored + 3
    assert say(mina, url, "one too many").status_code == 429  # the window is still the rule


def test_a_browser_with_only_its_remember_cookie_posts(app):
    mina, mina_id, url, channel_id = _room_and_channel(app)
    AuthActions(mina).login("mina", remember="y")
    token = csrf_token(mina)
    # The session keeps its CSRF secret but names nobody: as after the browser dropped its
    # session cookie and the remember cookie is what signs it in.
    with mina.session_transaction() as session:
        session.pop("_user_id")
    assert mina.get_cookie("remember_token") is not None
    response = mina.post(
        url,
        data={"body": "remembered", "client_id": client_id()},
        headers={**HTMX, "X-CSRFToken": token},
    )
    assert response.status_code == 201
    with app.app_context():
        line = db.session.scalar(select(Message).where(Message.body == "remembered"))
        assert (line.channel_id, line.sender_id) == (channel_id, mina_id)


def test_a_visitor_posts_nothing(app):
    _mina, _mina_id, url, channel_id = _room_and_channel(app)
    visitor = app.test_client()
    stored = message_count(app, channel_id)
    htmx = post(visitor, url, {"body": "hi", "client_id": client_id()}, htmx=True)
    assert htmx.status_code == 401
    assert htmx.headers["HX-Redirect"].startswith("/auth/login")
    assert post(visitor, url, {"body": "hi", "client_id": client_id()}).status_code == 302
    assert message_count(app, channel_id) == stored


@pytest.mark.parametrize("where", [_room_and_channel, _conversation])
@pytest.mark.parametrize(("saved", "browser"), [("en", "ko"), ("ko", "en")])
def test_the_reply_is_in_the_posters_saved_language(app, where, saved, browser):
    # The post loads its poster in its own statement; the reply's language must still come
    # from them, not from the browser's Accept-Language.
    mina, mina_id, url, _channel_id = where(app)
    with app.app_context():
        db.session.get(User, mina_id).locale = saved
        db.session.commit()
    token = csrf_token(mina)
    response = mina.post(
        url,
        data={"body": "which language", "client_id": client_id()},
        headers={**HTMX, "X-CSRFToken": token, "Accept-Language": browser},
    )
    assert response.status_code == 201
    assert response.headers["Content-Language"] == saved
    assert 'class="chat-line is-mine"' in response.get_data(as_text=True)
