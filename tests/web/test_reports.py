"""Reports: filing is idempotent and validated; the moderator queue resolves them end to end."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Message, ModAction, Report, ReportStatus
from app.realtime.events import CHAT_REMOVED
from app.services import modlog
from tests.support.web import post
from tests.web.chat_helpers import person, room_channel, room_with, say
from tests.web.posts_support import comment_rows, publish_ok


def _report_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Report.id)))


@pytest.fixture
def chat_room(app):
    """A room where two people chat; returns (mina's client, mina, junho's client, junho, room)."""
    mina_client, mina = person(app, "mina", "김민아")
    junho_client, junho = person(app, "junho", "이준호")
    room_id = room_with(app, mina, junho)
    for index in range(4):
        assert say(mina_client, f"/rooms/{room_id}/messages", f"hello {index}").status_code < 300
    assert say(junho_client, f"/rooms/{room_id}/messages", "you are awful").status_code < 300
    assert say(mina_client, f"/rooms/{room_id}/messages", "after that").status_code < 300
    return mina_client, mina, junho_client, junho, room_id


def _line(app, body: str) -> Message:
    with app.app_context():
        return db.session.scalar(select(Message).where(Message.body == body))


def test_reporting_twice_stores_one_report(app, chat_room):
    mina_client, _mina, _jc, _junho, _room = chat_room
    line = _line(app, "you are awful")
    for reason in ("harassment", "hate"):
        response = post(
            mina_client,
            "/reports",
            {"target_type": "message", "target_id": line.id, "reason": reason, "next": "/rooms/"},
        )
        assert response.status_code == 303
        assert response.headers["Location"] == "/rooms/"
    assert _report_count(app) == 1
    with app.app_context():
        assert db.session.scalar(select(Report.reason)) == "hate"


@pytest.mark.parametrize(
    "data",
    [
        {"target_type": "planet", "target_id": "1", "reason": "spam"},
        {"target_type": "user", "target_id": "abc", "reason": "spam"},
        {"target_type": "user", "target_id": "-1", "reason": "spam"},
        {"target_type": "user", "target_id": "TARGET", "reason": "because"},
        {"target_type": "user", "target_id": "TARGET", "reason": "spam", "note": "x" * 501},
        {"target_type": "user", "target_id": "SELF", "reason": "spam"},
    ],
)
def test_bad_reports_are_refused_and_write_nothing(app, make_user, data):
    from tests.web.chat_helpers import person

    client, me = person(app, "mina")
    target = make_user("junho")
    data = {
        k: str(v).replace("TARGET", str(target)).replace("SELF", str(me)) for k, v in data.items()
    }
    response = post(client, "/reports", data)
    assert response.status_code == 400
    assert _report_count(app) == 0


def test_reports_on_missing_or_unseen_things_are_404(app, chat_room, make_user):
    line = _line(app, "you are awful")
    outsider, _ = person(app, "outsider")
    for data in (
        {"target_type": "user", "target_id": "9999", "reason": "spam"},
        {"target_type": "room", "target_id": "9999", "reason": "spam"},
        # Someone outside the room cannot see its chat, so cannot report a line of it.
        {"target_type": "message", "target_id": str(line.id), "reason": "spam"},
    ):
        assert post(outsider, "/reports", data).status_code == 404
    assert _report_count(app) == 0


def test_posts_and_comments_are_accepted_targets(app, make_user):
    client, _ = person(app, "mina")
    author, _ = person(app, "junho")
    post_id = publish_ok(author, "a highlight")
    assert post(author, f"/posts/{post_id}/comments", {"body": "a comment"}).status_code in (
        200,
        303,
    )
    comment_id = comment_rows(app, post_id)[0].id
    for kind, target in (("post", post_id), ("comment", comment_id)):
        response = post(
            client, "/reports", {"target_type": kind, "target_id": str(target), "reason": "spam"}
        )
        assert response.status_code == 303
    assert _report_count(app) == 2
    # A post that does not exist cannot be reported.
    missing = {"target_type": "post", "target_id": "424242", "reason": "spam"}
    assert post(client, "/reports", missing).status_code == 404


def test_report_form_and_links(app, chat_room):
    mina_client, _mina, _jc, junho, room_id = chat_room
    profile = mina_client.get("/users/junho").get_data(as_text=True)
    assert f"/reports/new?target_type=user&amp;target_id={junho}" in profile
    room_page = mina_client.get(f"/rooms/{room_id}").get_data(as_text=True)
    line = _line(app, "you are awful")
    assert f"target_type=message&amp;target_id={line.id}" in room_page
    form = mina_client.get(f"/reports/new?target_type=message&target_id={line.id}")
    assert form.status_code == 200
    assert 'name="reason"' in form.get_data(as_text=True)
    assert mina_client.get("/reports/new?target_type=x&target_id=1").status_code == 400


def test_the_resolve_flow_end_to_end(app, chat_room, runner):
    mina_client, _mina, _junho_client, _junho, room_id = chat_room
    line = _line(app, "you are awful")
    post(
        mina_client,
        "/reports",
        {"target_type": "message", "target_id": line.id, "reason": "harassment", "note": "rude"},
    )
    moderator_client, _ = person(app, "moderator")
    result = runner.invoke(args=["grant-moderator", "moderator"])
    assert result.exit_code == 0, result.output

    queue = moderator_client.get("/mod/")
    assert queue.status_code == 200
    html = queue.get_data(as_text=True)
    # The reported line with the lines around it.
    assert "you are awful" in html and "hello 3" in html and "after that" in html
    assert "rude" in html

    from app.extensions import socketio

    channel_id = room_channel(app, room_id)
    listener = socketio.test_client(app, flask_test_client=mina_client)
    assert listener.emit("subscribe", {"channel_id": channel_id}, callback=True)["ok"]
    listener.get_received()

    response = post(
        moderator_client,
        "/mod/resolve",
        {
            "target_type": "message",
            "target_id": line.id,
            "action": "delete",
            "note": "insult removed",
        },
    )
    assert response.status_code == 303
    events = [e for e in listener.get_received() if e["name"] == CHAT_REMOVED.name]
    assert events and events[0]["args"][0] == {
        "channel_id": channel_id,
        "id": line.id,
        "seq": line.seq,
    }
    listener.disconnect()

    with app.app_context():
        assert db.session.get(Message, line.id).deleted_at is not None
        report = db.session.scalar(select(Report))
        assert report.status == ReportStatus.RESOLVED and report.resolution == "delete"
        actions = db.session.scalars(select(ModAction.action)).all()
        assert "delete_message" in actions and "resolve_delete" in actions

    # The reporter is notified (listed with the unread badge) and hears the outcome once,
    # on their next page.
    first = mina_client.get("/notifications").get_data(as_text=True)
    assert "A moderator looked at your report" in first
    assert "We took action" in first
    assert "We took action" not in mina_client.get("/rooms/").get_data(as_text=True)
    history = mina_client.get(
        f"/rooms/{room_id}/messages", headers={"HX-Request": "true"}
    ).get_data(as_text=True)
    assert "you are awful" not in history and "This message was removed." in history

    assert "nothing to review" in moderator_client.get("/mod/").get_data(as_text=True).lower()
    log = moderator_client.get("/mod/log").get_data(as_text=True)
    assert "resolve_delete" in log and "insult removed" in log


def test_resolving_with_a_timeout_and_a_ban(app, chat_room):
    from app.services import sanctions

    mina_client, mina, junho_client, junho, room_id = chat_room
    moderator_client, _moderator = person(app, "moderator")
    with app.app_context():
        modlog.set_moderator("moderator")
    post(mina_client, "/reports", {"target_type": "user", "target_id": junho, "reason": "spam"})
    response = post(
        moderator_client,
        "/mod/resolve",
        {
            "target_type": "user",
            "target_id": junho,
            "action": "timeout",
            "minutes": "60",
            "reason": "spam",
        },
    )
    assert response.status_code == 303
    with app.app_context():
        restriction = sanctions.chat_restriction(junho)
        assert restriction is not None and restriction.kind == "timeout"
    assert "Thanks for your report" in mina_client.get("/rooms/").get_data(as_text=True)

    # junho reports the room mina hosts; banning over a room report bans its host.
    post(junho_client, "/reports", {"target_type": "room", "target_id": room_id, "reason": "spam"})
    response = post(
        moderator_client,
        "/mod/resolve",
        {
            "target_type": "room",
            "target_id": room_id,
            "action": "ban",
            "days": "2",
            "reason": "spam",
        },
    )
    assert response.status_code == 303
    with app.app_context():
        assert sanctions.active_ban(mina) is not None


def test_bad_resolutions_are_refused_and_write_nothing(app, chat_room):
    mina_client, _mina, _jc, junho, _room = chat_room
    moderator_client, _ = person(app, "moderator")
    with app.app_context():
        modlog.set_moderator("moderator")
    post(mina_client, "/reports", {"target_type": "user", "target_id": junho, "reason": "spam"})
    junho_client, _ = person(app, "junho2")
    post_id = str(publish_ok(junho_client, "a highlight"))
    post(mina_client, "/reports", {"target_type": "post", "target_id": post_id, "reason": "spam"})
    for data, status in (
        ({"target_type": "user", "target_id": junho, "action": "explode"}, 400),
        ({"target_type": "user", "target_id": junho, "action": "delete"}, 400),
        ({"target_type": "user", "target_id": junho, "action": "timeout"}, 400),
        ({"target_type": "user", "target_id": junho, "action": "timeout", "minutes": "x"}, 400),
        ({"target_type": "user", "target_id": junho, "action": "timeout", "minutes": "99999"}, 400),
        ({"target_type": "post", "target_id": post_id, "action": "timeout"}, 400),
        ({"target_type": "user", "target_id": "424242", "action": "dismiss"}, 404),
    ):
        assert post(moderator_client, "/mod/resolve", data).status_code == status, data
    with app.app_context():
        assert (
            db.session.scalar(select(func.count()).where(Report.status == ReportStatus.OPEN)) == 2
        )
        assert db.session.scalar(select(func.count(ModAction.id))) == 1  # only the grant
    assert (
        post(
            moderator_client,
            "/mod/resolve",
            {"target_type": "post", "target_id": post_id, "action": "dismiss"},
        ).status_code
        == 303
    )


def test_grant_moderator_command(app, runner, make_user):
    make_user("mina")
    assert "now a moderator" in runner.invoke(args=["grant-moderator", "Mina"]).output
    with app.app_context():
        assert modlog.is_moderator(db.session.scalar(select(func.min(ModAction.target_id))))
    assert runner.invoke(args=["grant-moderator", "nobody"]).exit_code != 0
    assert "no longer" in runner.invoke(args=["grant-moderator", "mina", "--revoke"]).output


def test_parallel_double_reports_store_one(app, make_user):
    import threading

    from tests.support.web import csrf_token

    target = make_user("junho")
    client, _ = person(app, "mina")
    token = csrf_token(client)
    # One person's double taps from several tabs: the same session in every browser.
    browsers = [client] + [app.test_client() for _ in range(7)]
    session_cookie = client.get_cookie("session").value
    for browser in browsers[1:]:
        browser.set_cookie("session", session_cookie)
    data = {"target_type": "user", "target_id": target, "reason": "spam", "csrf_token": token}
    start = threading.Barrier(len(browsers))
    statuses: list[int] = []

    def send(browser) -> None:
        start.wait()
        statuses.append(browser.post("/reports", data=data).status_code)

    threads = [threading.Thread(target=send, args=(b,)) for b in browsers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [303] * len(browsers)
    assert _report_count(app) == 1
