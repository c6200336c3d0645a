"""A block hides each person from the other everywhere: posts, feeds, rooms, chat history,
notifications, and ends follows; unblocking restores what is not a follow."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.extensions import db, socketio
from app.models import Follow, Notification
from tests.support import factories
from tests.support.web import HTMX, AuthActions, post
from tests.web.chat_helpers import room_channel, say
from tests.web.posts_support import publish_ok


@pytest.fixture
def pair(app, make_user):
    """mina and junho (mina will block junho) and a bystander; their logged-in clients."""
    ids = {name: make_user(name, name.title()) for name in ("mina", "junho", "friend")}
    clients = {}
    for name in ids:
        clients[name] = app.test_client()
        assert AuthActions(clients[name]).login(name).status_code == 303
    return ids, clients


def _page(client, path: str, **kwargs) -> tuple[int, str]:
    response = client.get(path, **kwargs)
    return response.status_code, response.get_data(as_text=True)


def _block(clients) -> None:
    assert post(clients["mina"], "/users/junho/block").status_code == 303


def _unblock(clients) -> None:
    assert post(clients["mina"], "/users/junho/unblock").status_code == 303


def test_blocking_ends_follows_both_ways(app, pair):
    ids, clients = pair
    assert post(clients["junho"], "/users/mina/follow").status_code == 303
    assert post(clients["mina"], "/users/junho/follow").status_code == 303
    assert post(clients["friend"], "/users/mina/follow").status_code == 303
    _block(clients)
    with app.app_context():
        pairs = set(db.session.execute(select(Follow.follower_id, Follow.followed_id)).all())
    assert pairs == {(ids["friend"], ids["mina"])}
    _unblock(clients)
    assert post(clients["junho"], "/users/mina/follow").status_code == 303


def test_posts_are_hidden_both_ways_and_come_back_after_unblock(app, pair):
    _ids, clients = pair
    mine = publish_ok(clients["mina"], "mina sings #karaoke tonight")
    theirs = publish_ok(clients["junho"], "junho sings #karaoke tonight")
    surfaces = ("/posts/", "/tags/karaoke", "/posts/?q=sings")
    _block(clients)

    for viewer, own, other, other_name in (
        ("junho", theirs, mine, "mina"),
        ("mina", mine, theirs, "junho"),
    ):
        assert _page(clients[viewer], f"/posts/{other}")[0] == 404, viewer
        assert _page(clients[viewer], f"/posts/{other}/likes")[0] == 404, viewer
        assert _page(clients[viewer], f"/posts/{other}/comments")[0] == 404, viewer
        assert _page(clients[viewer], f"/posts/{own}")[0] == 200
        for path in (*surfaces, f"/users/{other_name}/posts"):
            status, html = _page(clients[viewer], path)
            assert status == 200, path
            assert f"/posts/{other}" not in html, (viewer, path)
        for path in surfaces:
            assert f"/posts/{own}" in _page(clients[viewer], path)[1], (viewer, path)
        # Nor can either comment on the other's post.
        comment = post(clients[viewer], f"/posts/{other}/comments", {"body": "hi"})
        assert comment.status_code == 404, viewer
    # A bystander still sees both.
    for path in surfaces:
        html = _page(clients["friend"], path)[1]
        assert f"/posts/{mine}" in html and f"/posts/{theirs}" in html, path

    _unblock(clients)
    assert _page(clients["junho"], f"/posts/{mine}")[0] == 200
    assert f"/posts/{mine}" in _page(clients["junho"], "/tags/karaoke")[1]
    assert f"/posts/{theirs}" in _page(clients["mina"], "/users/junho/posts")[1]


def test_the_feed_leaves_out_the_other_person(app, pair):
    _ids, clients = pair
    assert post(clients["junho"], "/users/mina/follow").status_code == 303
    mine = publish_ok(clients["mina"], "for my followers")
    assert f"/posts/{mine}" in _page(clients["junho"], "/feed")[1]
    _block(clients)
    assert f"/posts/{mine}" not in _page(clients["junho"], "/feed")[1]


def test_a_blocked_person_cannot_watch_or_find_the_hosts_rooms(app, pair):
    ids, clients = pair
    with app.app_context():
        room_id = factories.room(ids["mina"], title="Mina's stage")
    _block(clients)
    for path in (f"/rooms/{room_id}", f"/rooms/{room_id}/stage"):
        assert _page(clients["junho"], path)[0] == 404, path
        assert _page(clients["friend"], path)[0] == 200, path
    for listing in ("/rooms/", "/"):
        assert "Mina&#39;s stage" not in _page(clients["junho"], listing)[1], listing
        assert "Mina&#39;s stage" in _page(clients["friend"], listing)[1], listing
    # The host cannot reach a blocked person's room either.
    with app.app_context():
        junho_room = factories.room(ids["junho"], title="Junho's stage")
    assert _page(clients["mina"], f"/rooms/{junho_room}")[0] == 404
    # Watching live is refused over the socket too.
    sock = socketio.test_client(app, flask_test_client=clients["junho"])
    assert sock.emit("subscribe", {"room_id": room_id}, callback=True) == {
        "ok": False,
        "error": "not_found",
    }
    _unblock(clients)
    assert _page(clients["junho"], f"/rooms/{room_id}")[0] == 200
    assert "Mina&#39;s stage" in _page(clients["junho"], "/rooms/")[1]
    assert "Mina&#39;s stage" in _page(clients["junho"], "/")[1]
    assert sock.emit("subscribe", {"room_id": room_id}, callback=True)["ok"]
    sock.disconnect()


def _lines(client, url: str) -> str:
    response = client.get(url, headers=HTMX)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_chat_history_hides_the_other_persons_lines_both_ways(app, pair):
    ids, clients = pair
    with app.app_context():
        room_id = factories.room(ids["friend"], member_ids=(ids["mina"], ids["junho"]))
    url = f"/rooms/{room_id}/messages"
    for name in ("mina", "junho", "friend"):
        assert say(clients[name], url, f"line from {name}").status_code == 201
    _block(clients)
    channel_id = room_channel(app, room_id)
    for viewer, other in (("mina", "junho"), ("junho", "mina")):
        for html in (
            _lines(clients[viewer], url),
            _lines(clients[viewer], url + "?after=0"),
            _page(clients[viewer], url)[1],
            _page(clients[viewer], f"/rooms/{room_id}")[1],
        ):
            assert f"line from {other}" not in html, viewer
            assert f"line from {viewer}" in html and "line from friend" in html
            # The line keeps its number as an empty slot, so catching up sees no gap.
            assert 'data-seq="1"' in html and 'data-seq="2"' in html
        page = _page(clients[viewer], f"/rooms/{room_id}")[1]
        assert f'data-hidden-senders="{ids[other]}"' in page
    friend_view = _lines(clients["friend"], url)
    assert "line from mina" in friend_view and "line from junho" in friend_view
    assert channel_id is not None

    _unblock(clients)
    assert "line from junho" in _lines(clients["mina"], url)
    assert 'data-hidden-senders=""' in _page(clients["mina"], f"/rooms/{room_id}")[1]


def test_group_conversation_history_hides_blocked_lines(app, pair):
    _ids, clients = pair
    started = post(clients["friend"], "/chats/new", {"title": "trio", "members": "mina, junho"})
    assert started.status_code == 303
    chat_url = started.headers["Location"].rstrip("/")
    url = chat_url + "/messages"
    for name in ("mina", "junho"):
        assert say(clients[name], url, f"group line from {name}").status_code == 201
    _block(clients)
    assert "group line from junho" not in _page(clients["mina"], chat_url)[1]
    assert "group line from junho" not in _lines(clients["mina"], url + "?after=0")
    assert "group line from mina" not in _lines(clients["junho"], url + "?after=0")
    assert "group line from junho" in _lines(clients["friend"], url + "?after=0")


def _notifications(app, recipient_id: int) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count(Notification.id)).where(Notification.recipient_id == recipient_id)
        )


def test_notifications_skip_actors_in_a_block(app, pair):
    ids, clients = pair
    # Followers hear about a new room; a block ends the follow, and a follow made
    # before it cannot bring the news back.
    assert post(clients["junho"], "/users/mina/follow").status_code == 303
    before = _notifications(app, ids["mina"])
    assert before == 1  # "junho followed you"
    _block(clients)
    assert post(clients["junho"], "/users/mina/follow").status_code == 403
    created = post(
        clients["mina"],
        "/rooms/",
        {"title": "Open mic", "category": "karaoke", "mode": "casual", "capacity": "5"},
    )
    assert created.status_code == 303
    assert _notifications(app, ids["junho"]) == 0
    _unblock(clients)
    assert post(clients["junho"], "/users/mina/follow").status_code == 303
    assert _notifications(app, ids["mina"]) >= 1


def test_a_notice_from_someone_in_a_block_is_not_written(app, pair):
    # A show nomination can come from a member seated before the block was made.
    from app.services.notifications.kinds import Kind
    from app.services.notifications.store import record

    ids, clients = pair
    _block(clients)
    with app.test_request_context():
        assert record(ids["mina"], Kind.NOMINATED, "performance", 1, ids["junho"]) is None
        assert record(ids["junho"], Kind.NOMINATED, "performance", 1, ids["mina"]) is None
        assert record(ids["mina"], Kind.NOMINATED, "performance", 1, ids["friend"]) is not None
        db.session.commit()
    assert _notifications(app, ids["junho"]) == 0


def test_a_block_takes_open_sockets_out_of_the_others_room_and_its_chat(app, pair):
    ids, clients = pair
    with app.app_context():
        room_id = factories.room(ids["mina"], member_ids=(ids["junho"], ids["friend"]))
    url = f"/rooms/{room_id}/messages"
    assert say(clients["friend"], url, "before").status_code == 201
    channel_id = room_channel(app, room_id)
    sock = socketio.test_client(app, flask_test_client=clients["junho"])
    assert sock.emit("subscribe", {"room_id": room_id}, callback=True)["ok"]
    assert sock.emit("subscribe", {"channel_id": channel_id}, callback=True)["ok"]
    sock.get_received()
    assert say(clients["friend"], url, "heard").status_code == 201
    assert [e["name"] for e in sock.get_received()].count("chat:message") == 1

    _block(clients)
    assert say(clients["friend"], url, "not heard").status_code == 201
    assert "chat:message" not in [e["name"] for e in sock.get_received()]
    assert sock.is_connected()  # only those rooms are left; the person stays connected
    sock.disconnect()
