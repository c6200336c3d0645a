"""People viewing a highlight see likes and comments arrive live, after the commit."""

from __future__ import annotations

from app.extensions import socketio
from app.realtime.events import CATALOGUE
from tests.support.web import post
from tests.web.posts_support import comment_rows, publish_ok


def _received(sock, name: str) -> list[dict]:
    """The payloads of `name` events the socket got, checked against the catalogue."""
    payloads = [e["args"][0] for e in sock.get_received() if e["name"] == name]
    for payload in payloads:
        CATALOGUE[name].check(payload)
    return payloads


def test_viewers_of_a_post_receive_likes_and_comments(app, show_people):
    mina, junho = show_people("mina", "junho")
    post_id = publish_ok(mina.client, "watch this")
    viewer = socketio.test_client(app, flask_test_client=mina.client)
    ack = viewer.emit("subscribe", {"post_id": post_id}, callback=True)
    assert ack == {"ok": True, "room": f"post:{post_id}"}
    viewer.get_received()

    assert post(junho.client, f"/posts/{post_id}/like", {"action": "like"}).status_code == 303
    assert _received(viewer, "post:likes") == [{"post_id": post_id, "comment_id": None, "count": 1}]
    # A repeated like changes nothing, so nothing is sent.
    post(junho.client, f"/posts/{post_id}/like", {"action": "like"})
    assert _received(viewer, "post:likes") == []

    assert post(junho.client, f"/posts/{post_id}/comments", {"body": "live!"}).status_code == 303
    assert _received(viewer, "post:comments") == [{"post_id": post_id, "comment_count": 1}]
    comment_id = comment_rows(app, post_id)[0].id
    post(mina.client, f"/comments/{comment_id}/like", {"action": "like"})
    assert _received(viewer, "post:likes") == [
        {"post_id": post_id, "comment_id": comment_id, "count": 1}
    ]
    post(mina.client, f"/comments/{comment_id}/delete")
    assert _received(viewer, "post:comments") == [{"post_id": post_id, "comment_count": 0}]
    viewer.disconnect()


def test_a_refused_action_sends_nothing(app, show_people):
    mina, junho = show_people("mina", "junho")
    post_id = publish_ok(mina.client, "quiet")
    viewer = socketio.test_client(app, flask_test_client=mina.client)
    viewer.emit("subscribe", {"post_id": post_id}, callback=True)
    viewer.get_received()
    assert post(junho.client, f"/posts/{post_id}/comments", {"body": ""}).status_code == 400
    assert viewer.get_received() == []
    viewer.disconnect()


def test_subscribing_to_a_missing_post_is_refused(app, show_people):
    (mina,) = show_people("mina")
    sock = socketio.test_client(app, flask_test_client=mina.client)
    assert sock.emit("subscribe", {"post_id": 424242}, callback=True) == {
        "ok": False,
        "error": "not_found",
    }
    assert sock.emit("subscribe", {"post_id": "1"}, callback=True)["ok"] is False
    sock.disconnect()
