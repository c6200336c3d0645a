"""Site sanctions on the chat post path, through the real routes: site timeouts, bans and
panic mode refuse room and conversation posts and write nothing; the word filter masks
(or refuses) listed words; slow mode holds under real concurrent posts."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import func, select, update

from app.database import utcnow
from app.extensions import db
from app.models import Ban, Message, User
from app.services import modlog, panic, sanctions
from tests.support.web import HTMX, csrf_token, post
from tests.web.chat_helpers import client_id, person, room_with, say, start_group


def _count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Message.id)))


def _age(app, *user_ids: int) -> None:
    """Make accounts two days old, so panic mode lets them chat."""
    with app.app_context():
        db.session.execute(
            update(User)
            .where(User.id.in_(user_ids))
            .values(created_at=utcnow() - timedelta(days=2))
        )
        db.session.commit()


def _chats(app):
    """mina and junho share a room and a group; both lines exist already."""
    mina, mina_id = person(app, "mina", "김민아")
    junho, junho_id = person(app, "junho")
    _moderator, moderator_id = person(app, "moderator")
    with app.app_context():
        modlog.set_moderator("moderator")
    room_id = room_with(app, mina_id, junho_id)
    room_url = f"/rooms/{room_id}/messages"
    group = start_group(junho, "Us", "mina")
    group_url = f"/chats/{group}/messages"
    assert say(mina, room_url, "hi room").status_code == 201
    assert say(mina, group_url, "hi group").status_code == 201
    return mina, mina_id, moderator_id, room_url, group_url, group, room_id


def test_a_site_timeout_refuses_room_and_conversation_posts(app):
    mina, mina_id, moderator_id, room_url, group_url, group, room_id = _chats(app)
    with app.app_context():
        sanctions.do_timeout(moderator_id, mina_id, "spam", 60)
    before = _count(app)
    for url in (room_url, group_url):
        response = say(mina, url, "still here")
        assert response.status_code == 403
        assert "timed out" in response.get_data(as_text=True)
        assert say(mina, url, "plain form", htmx=False).status_code == 403
    assert _count(app) == before
    # Both composers say why, with the time left.
    for page in (f"/rooms/{room_id}", f"/chats/{group}"):
        html = mina.get(page).get_data(as_text=True)
        notice = html.split('class="chat-restriction', 1)[1].split("</p>", 1)[0]
        assert "timed out" in notice and "minutes more" in notice, page
    with app.app_context():
        db.session.execute(
            update(sanctions.ChatTimeout).values(expires_at=utcnow() - timedelta(seconds=1))
        )
        db.session.commit()
    assert say(mina, room_url, "back").status_code == 201
    assert say(mina, group_url, "back too").status_code == 201


def test_a_ban_in_force_refuses_posts(app):
    mina, mina_id, moderator_id, room_url, group_url, *_ = _chats(app)
    # A ban row without the session rotation do_ban adds, to see the post's own check.
    with app.app_context():
        db.session.add(Ban(user_id=mina_id, reason="spam", created_by_id=moderator_id))
        db.session.commit()
    before = _count(app)
    for url in (room_url, group_url):
        response = say(mina, url, "let me in")
        assert response.status_code == 403
        assert "suspended" in response.get_data(as_text=True)
    assert _count(app) == before


def test_panic_mode_keeps_new_accounts_quiet(app):
    mina, mina_id, moderator_id, room_url, group_url, *_ = _chats(app)
    with app.app_context():
        panic.set_panic(moderator_id, True)
    before = _count(app)
    for url in (room_url, group_url):
        response = say(mina, url, "new here")
        assert response.status_code == 403
        assert "New accounts" in response.get_data(as_text=True)
    assert _count(app) == before
    _age(app, mina_id)
    assert say(mina, room_url, "old enough").status_code == 201
    assert say(mina, group_url, "old enough too").status_code == 201


def test_strangers_still_get_404_not_the_reason(app):
    _mina, _mina_id, moderator_id, _room_url, group_url, *_ = _chats(app)
    stranger, stranger_id = person(app, "stranger")
    with app.app_context():
        sanctions.do_timeout(moderator_id, stranger_id, "spam", 60)
    assert say(stranger, group_url, "hello?").status_code == 404


def test_the_word_filter_masks_listed_words(app):
    mina, _mina_id, _moderator_id, room_url, group_url, *_ = _chats(app)
    for url in (room_url, group_url):
        response = say(mina, url, "what the fuck, 씨발")
        assert response.status_code == 201
        html = response.get_data(as_text=True)
        assert "fuck" not in html and "씨발" not in html and "●●" in html
    with app.app_context():
        bodies = db.session.scalars(select(Message.body)).all()
    assert not any("fuck" in body for body in bodies)


def test_the_word_filter_can_refuse_instead(app):
    mina, _mina_id, _moderator_id, room_url, group_url, *_ = _chats(app)
    app.config["WORD_FILTER_MODE"] = "refuse"
    before = _count(app)
    for url in (room_url, group_url):
        response = say(mina, url, "shit happens")
        assert response.status_code == 400
        assert "rude words" in response.get_data(as_text=True)
    assert _count(app) == before


def test_slow_mode_holds_under_twenty_concurrent_posts(app):
    """Twenty tabs of one person post at the same moment: exactly one line gets through."""
    host, host_id = person(app, "hostess")
    mina, mina_id = person(app, "mina")
    room_id = room_with(app, host_id, mina_id)
    url = f"/rooms/{room_id}/messages"
    assert say(host, url, "the channel exists").status_code == 201
    assert post(host, f"/rooms/{room_id}/chat/slow-mode", {"seconds": "60"}).status_code == 303
    # The flood rule would stop most of them first; lift it to see slow mode alone.
    app.config["CHAT_FLOOD_LINES"] = 1000
    token = csrf_token(mina)  # before copying the cookie: the token lives in the session
    tabs = [app.test_client() for _ in range(20)]
    for tab in tabs:
        tab.set_cookie("session", mina.get_cookie("session").value)
    barrier = threading.Barrier(len(tabs))
    statuses: list[int] = [0] * len(tabs)

    def send(index: int) -> None:
        barrier.wait(timeout=10)
        response = tabs[index].post(
            url,
            data={"body": f"line {index}", "client_id": client_id()},
            headers={**HTMX, "X-CSRFToken": token},
        )
        statuses[index] = response.status_code

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(tabs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(statuses) == [201] + [429] * 19
    with app.app_context():
        mine = db.session.scalar(select(func.count(Message.id)).where(Message.sender_id == mina_id))
        seqs = db.session.scalars(select(Message.seq).order_by(Message.seq)).all()
    assert mine == 1
    assert seqs == [1, 2]  # refused posts give their number back
