"""Host tools in a room's chat, through the real routes: room timeouts that expire, deleted
lines that vanish live and from history, slow mode, and who may use each of them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from app.database import utcnow
from app.extensions import db, socketio
from app.models import Channel, ChatTimeout, Message, ModAction, Room
from app.realtime.events import CHAT_REMOVED
from app.services import modlog
from tests.support.web import HTMX, post
from tests.web.chat_helpers import person, room_channel, room_with, say


@pytest.fixture
def room(app):
    """A room with its host, a member, a watcher who chats, a stranger and a moderator."""
    host, host_id = person(app, "hostess", "호스트")
    member, member_id = person(app, "junho", "이준호")
    spectator, spectator_id = person(app, "watcher")
    stranger, stranger_id = person(app, "stranger")
    moderator, moderator_id = person(app, "moderator")
    with app.app_context():
        modlog.set_moderator("moderator")
    room_id = room_with(app, host_id, member_id)
    url = f"/rooms/{room_id}/messages"
    assert say(host, url, "welcome").status_code == 201
    assert say(member, url, "hello everyone").status_code == 201
    assert say(spectator, url, "watching from afar").status_code == 201
    return {
        "id": room_id,
        "url": url,
        "clients": {
            "host": host,
            "moderator": moderator,
            "member": member,
            "spectator": spectator,
            "stranger": stranger,
            "logged_out": app.test_client(),
        },
        "ids": {
            "host": host_id,
            "member": member_id,
            "spectator": spectator_id,
            "stranger": stranger_id,
            "moderator": moderator_id,
        },
    }


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def _line_id(app, body: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Message.id).where(Message.body == body))


def _timeout(client, room, user_id, minutes="5", reason="spam", *, htmx=False):
    data = {"user_id": str(user_id), "minutes": minutes, "reason": reason}
    return post(client, f"/rooms/{room['id']}/chat/timeout", data, htmx=htmx)


# Timeouts -------------------------------------------------------------------------------


def test_a_room_timeout_refuses_posts_shows_time_left_and_expires(app, room):
    host, member = room["clients"]["host"], room["clients"]["member"]
    response = _timeout(host, room, room["ids"]["member"], minutes="5", reason="harassment")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/rooms/{room['id']}#chat")

    before = _count(app, Message)
    refused = say(member, room["url"], "can I still talk?")
    assert refused.status_code == 403
    text = refused.get_data(as_text=True)
    assert "timed out" in text and "5 minutes" in text and "Harassment" in text
    plain = say(member, room["url"], "and without htmx?", htmx=False)
    assert plain.status_code == 403
    assert _count(app, Message) == before

    # The composer says so, with the time left; other rooms are not affected.
    page = member.get(f"/rooms/{room['id']}").get_data(as_text=True)
    assert "chat-restriction" in page and "5 minutes" in page
    other_room = room_with(app, room["ids"]["member"])
    assert say(member, f"/rooms/{other_room}/messages", "elsewhere").status_code == 201

    # Move the expiry into the past instead of waiting: the chat opens again.
    with app.app_context():
        db.session.execute(update(ChatTimeout).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    assert say(member, room["url"], "I am back").status_code == 201
    assert "chat-restriction" not in member.get(f"/rooms/{room['id']}").get_data(as_text=True)


def test_the_host_can_lift_a_timeout_and_htmx_gets_a_toast(app, room):
    host, member = room["clients"]["host"], room["clients"]["member"]
    response = _timeout(host, room, room["ids"]["member"], minutes="60", htmx=True)
    assert response.status_code == 200
    assert response.headers["HX-Retarget"] == "#toasts"
    assert "이준호" in response.get_data(as_text=True)
    assert say(member, room["url"], "hmm").status_code == 403
    lifted = post(
        host, f"/rooms/{room['id']}/chat/timeout/lift", {"user_id": room["ids"]["member"]}
    )
    assert lifted.status_code == 303
    assert say(member, room["url"], "thanks").status_code == 201
    with app.app_context():
        actions = db.session.scalars(select(ModAction.action)).all()
    assert "room_timeout" in actions and "room_timeout_lifted" in actions


@pytest.mark.parametrize(
    "data",
    [
        {"minutes": "7"},  # not on the menu
        {"minutes": "abc"},
        {"reason": "because"},
        {"user_id": "abc"},
    ],
)
def test_bad_timeout_input_is_a_400_and_writes_nothing(app, room, data):
    form = {"user_id": str(room["ids"]["member"]), "minutes": "5", "reason": "spam", **data}
    response = post(room["clients"]["host"], f"/rooms/{room['id']}/chat/timeout", form)
    assert response.status_code == 400
    assert _count(app, ChatTimeout) == 0


def test_nobody_times_out_the_host_or_themselves(app, room):
    host, moderator = room["clients"]["host"], room["clients"]["moderator"]
    assert _timeout(host, room, room["ids"]["host"]).status_code == 400
    assert _timeout(moderator, room, room["ids"]["host"]).status_code == 400
    assert _timeout(host, room, 987654).status_code == 404
    assert _count(app, ChatTimeout) == 0


# Deleting lines -------------------------------------------------------------------------


def test_a_deleted_line_vanishes_live_from_history_and_from_the_page(app, room):
    host, member = room["clients"]["host"], room["clients"]["member"]
    line_id = _line_id(app, "hello everyone")
    channel_id = room_channel(app, room["id"])
    listener = socketio.test_client(app, flask_test_client=member)
    assert listener.emit("subscribe", {"channel_id": channel_id}, callback=True)["ok"]
    listener.get_received()

    response = post(host, f"/rooms/{room['id']}/messages/{line_id}/delete", htmx=True)
    assert response.status_code == 200

    events = [e for e in listener.get_received() if e["name"] == CHAT_REMOVED.name]
    listener.disconnect()
    assert len(events) == 1
    assert events[0]["args"][0] == {"channel_id": channel_id, "id": line_id, "seq": 2}
    history = member.get(room["url"], headers=HTMX).get_data(as_text=True)
    assert "hello everyone" not in history and "This message was removed." in history
    page = member.get(f"/rooms/{room['id']}").get_data(as_text=True)
    assert "hello everyone" not in page and "welcome" in page
    # Deleting it again changes nothing and sends nothing.
    again = post(host, f"/rooms/{room['id']}/messages/{line_id}/delete")
    assert again.status_code == 303


def test_authors_delete_their_own_lines_but_not_others(app, room):
    member, spectator = room["clients"]["member"], room["clients"]["spectator"]
    own = _line_id(app, "watching from afar")
    other = _line_id(app, "hello everyone")
    assert post(spectator, f"/rooms/{room['id']}/messages/{other}/delete").status_code == 403
    assert post(member, f"/rooms/{room['id']}/messages/{own}/delete").status_code == 403
    assert post(spectator, f"/rooms/{room['id']}/messages/{own}/delete").status_code == 303
    with app.app_context():
        deleted = db.session.scalars(select(Message.body).where(Message.deleted_at.is_not(None)))
        assert list(deleted) == ["watching from afar"]
    # A line of another room, or no line at all, is not found through this room.
    assert (
        post(room["clients"]["host"], f"/rooms/{room['id']}/messages/999/delete").status_code == 404
    )


# Slow mode ------------------------------------------------------------------------------


def _slow(client, room, seconds: str, *, htmx=False):
    return post(client, f"/rooms/{room['id']}/chat/slow-mode", {"seconds": seconds}, htmx=htmx)


def test_slow_mode_allows_one_line_per_window_and_spares_the_host(app, room):
    host, member = room["clients"]["host"], room["clients"]["member"]
    response = _slow(host, room, "30", htmx=True)
    assert response.status_code == 200 and 'value="30" selected' in response.get_data(as_text=True)
    assert "Slow mode" in member.get(f"/rooms/{room['id']}").get_data(as_text=True)

    # The member's "hello everyone" was a moment ago: the window is still open.
    before = _count(app, Message)
    refused = say(member, room["url"], "too soon")
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 30
    assert "Slow mode is on" in refused.get_data(as_text=True)
    assert _count(app, Message) == before
    assert say(host, room["url"], "hosts are not slowed").status_code == 201
    assert say(host, room["url"], "not at all").status_code == 201

    with app.app_context():
        db.session.execute(update(Message).values(created_at=utcnow() - timedelta(seconds=31)))
        db.session.commit()
    assert say(member, room["url"], "my turn again").status_code == 201
    assert say(member, room["url"], "and again?").status_code == 429

    assert _slow(host, room, "0").status_code == 303
    assert say(member, room["url"], "free again").status_code == 201
    # A refused line gives its number back: the lines are numbered 1..n without a gap.
    channel_id = room_channel(app, room["id"])
    with app.app_context():
        numbers = db.session.scalars(
            select(Message.seq).where(Message.channel_id == channel_id).order_by(Message.seq)
        ).all()
        last = db.session.get(Channel, channel_id).last_seq
    assert numbers == list(range(1, len(numbers) + 1)) and last == len(numbers)


def test_slow_mode_only_takes_the_menu_values(app, room):
    assert _slow(room["clients"]["host"], room, "7").status_code == 400
    assert _slow(room["clients"]["host"], room, "-5").status_code == 400
    with app.app_context():
        assert db.session.get(Room, room["id"]).chat_slow_seconds == 0


# Who may do what ------------------------------------------------------------------------

ALLOWED = {"host": True, "moderator": True}


def _action(room, name, app):
    """(url, form) of each host action against the member, and against the host's line."""
    line_id = _line_id(app, "welcome")
    return {
        "timeout": (
            f"/rooms/{room['id']}/chat/timeout",
            {"user_id": room["ids"]["member"], "minutes": "5", "reason": "spam"},
        ),
        "lift": (f"/rooms/{room['id']}/chat/timeout/lift", {"user_id": room["ids"]["member"]}),
        "delete": (f"/rooms/{room['id']}/messages/{line_id}/delete", {}),
        "slow": (f"/rooms/{room['id']}/chat/slow-mode", {"seconds": "10"}),
    }[name]


def _written(app) -> tuple:
    with app.app_context():
        return (
            db.session.scalar(select(func.count(ChatTimeout.id))),
            db.session.scalar(
                select(func.count(Message.id)).where(Message.deleted_at.is_not(None))
            ),
            db.session.scalar(select(Room.chat_slow_seconds)),
            db.session.scalar(
                select(func.count(ModAction.id)).where(ModAction.action != "grant_moderator")
            ),
        )


@pytest.mark.parametrize("action", ["timeout", "lift", "delete", "slow"])
@pytest.mark.parametrize(
    "role", ["host", "moderator", "member", "spectator", "stranger", "logged_out"]
)
def test_permission_matrix(app, room, action, role):
    url, form = _action(room, action, app)
    client = room["clients"][role]
    nothing = _written(app)
    if role == "logged_out":
        response = post(client, url, form)
        assert response.status_code in (302, 303) and "/auth/login" in response.headers["Location"]
        assert post(client, url, form, htmx=True).status_code == 401
        assert _written(app) == nothing
        return
    # Without a CSRF token nobody gets through.
    assert client.post(url, data=form).status_code == 400
    assert _written(app) == nothing
    response = post(client, url, form)
    if role in ALLOWED:
        assert response.status_code == 303
        assert _written(app) != nothing or action == "lift"
    else:
        assert response.status_code == 403
        assert _written(app) == nothing


def test_host_menus_show_for_the_host_only(app, room):
    host_page = room["clients"]["host"].get(f"/rooms/{room['id']}").get_data(as_text=True)
    assert "Host tools" in host_page and "/chat/timeout" in host_page
    member_page = room["clients"]["member"].get(f"/rooms/{room['id']}").get_data(as_text=True)
    assert "Host tools" not in member_page and "/chat/timeout" not in member_page
    # A member may still delete their own line from its menu.
    own = _line_id(app, "hello everyone")
    assert f"/messages/{own}/delete" in member_page
    other = _line_id(app, "welcome")
    assert f"/messages/{other}/delete" not in member_page


def test_only_readers_of_a_members_only_chat_hear_a_line_removed(app, room):
    """Over the socket: the stranger cannot subscribe, so the removal never reaches them."""
    host, member = room["clients"]["host"], room["clients"]["member"]
    assert post(host, f"/rooms/{room['id']}/chat-access", {"members_only": "1"}).status_code == 303
    channel_id = room_channel(app, room["id"])
    listeners = {}
    for role in ("member", "stranger"):
        listener = socketio.test_client(app, flask_test_client=room["clients"][role])
        ack = listener.emit("subscribe", {"channel_id": channel_id}, callback=True)
        assert ack["ok"] is (role == "member")
        listener.get_received()
        listeners[role] = listener
    line_id = _line_id(app, "welcome")
    # The stranger cannot delete it either: they cannot even see the chat.
    stranger_url = f"/rooms/{room['id']}/messages/{line_id}/delete"
    assert post(room["clients"]["stranger"], stranger_url).status_code == 404
    assert post(host, stranger_url).status_code == 303
    heard = {
        role: [e for e in listener.get_received() if e["name"] == CHAT_REMOVED.name]
        for role, listener in listeners.items()
    }
    for listener in listeners.values():
        listener.disconnect()
    assert len(heard["member"]) == 1 and heard["stranger"] == []
    assert "welcome" not in member.get(room["url"], headers=HTMX).get_data(as_text=True)
