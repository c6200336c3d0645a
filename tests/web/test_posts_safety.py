"""Posts and comments obey bans, panic mode and the word filter; moderators act on reported
posts and comments from /mod/."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from app.database import utcnow
from app.extensions import db
from app.models import Ban, ModAction, Report, ReportStatus, User
from app.services import modlog, panic, sanctions
from tests.support.web import post
from tests.web.chat_helpers import person
from tests.web.posts_support import comment_rows, post_row, publish, publish_ok


def _comment(client, post_id: int, body: str, **extra):
    return post(client, f"/posts/{post_id}/comments", {"body": body, **extra})


def _age(app, user_id: int, days: int) -> None:
    """Make the account `days` old (panic mode lets only accounts older than a day post)."""
    with app.app_context():
        born = utcnow() - timedelta(days=days)
        db.session.execute(update(User).where(User.id == user_id).values(created_at=born))
        db.session.commit()


def test_listed_words_are_masked_in_posts_comments_and_edits(app):
    mina, _ = person(app, "mina")
    post_id = publish_ok(mina, "what the fuck a show")
    assert post_row(app, post_id).body == "what the ●●●● a show"
    assert _comment(mina, post_id, "fucking great").status_code == 303
    assert comment_rows(app, post_id)[0].body == "●●●●●●● great"
    comment_id = comment_rows(app, post_id)[0].id
    assert post(mina, f"/comments/{comment_id}/edit", {"body": "fuck yes"}).status_code == 303
    assert comment_rows(app, post_id)[0].body == "●●●● yes"
    assert post(mina, f"/posts/{post_id}/edit", {"body": "fuck again"}).status_code == 303
    assert post_row(app, post_id).body == "●●●● again"


def test_refuse_mode_refuses_and_writes_nothing(app):
    app.config["WORD_FILTER_MODE"] = "refuse"
    mina, _ = person(app, "mina")
    response = publish(mina, "what the fuck")
    assert response.status_code == 400
    post_id = publish_ok(mina, "clean words")
    assert _comment(mina, post_id, "fuck").status_code == 400
    assert comment_rows(app, post_id) == []


def test_panic_mode_keeps_new_accounts_from_posting_and_commenting(app):
    old, old_id = person(app, "old")
    new, _new_id = person(app, "newbie")
    moderator_id = person(app, "moderator")[1]
    _age(app, old_id, 3)
    post_id = publish_ok(old, "before the panic")
    mine = publish_ok(new, "my first post")
    with app.app_context():
        modlog.set_moderator("moderator")
        panic.set_panic(moderator_id, True)
    assert publish(new, "during the panic").status_code == 403
    assert _comment(new, post_id, "hello").status_code == 403
    assert post(new, f"/posts/{mine}/edit", {"body": "changed"}).status_code == 403
    assert post_row(app, mine).body == "my first post"
    assert comment_rows(app, post_id) == []
    # Older accounts carry on.
    assert publish(old, "still here").status_code == 303
    assert _comment(old, post_id, "me too").status_code == 303
    with app.app_context():
        panic.set_panic(moderator_id, False)
    assert publish(new, "after the panic").status_code == 303


def test_a_banned_person_cannot_post_or_comment(app):
    mina, mina_id = person(app, "mina")
    post_id = publish_ok(mina, "hello")
    moderator_id = person(app, "moderator")[1]
    with app.app_context():
        modlog.set_moderator("moderator")
        sanctions.do_ban(moderator_id, mina_id, "spam", 1)
    # The ban ended the session; a request with it is a visitor's, sent to log in.
    assert publish(mina, "again").status_code in (302, 401)
    with app.app_context():
        assert db.session.scalar(select(Ban.id).where(Ban.user_id == mina_id)) is not None
        # The service refuses too, whatever a session says.
        with app.test_request_context(), pytest.raises(sanctions.Banned):
            sanctions.check_can_post(mina_id)
    assert len(comment_rows(app, post_id)) == 0


def _report(client, target_type: str, target_id: int):
    response = post(
        client, "/reports", {"target_type": target_type, "target_id": target_id, "reason": "spam"}
    )
    assert response.status_code == 303, response.status_code


def _moderator(app):
    client, user_id = person(app, "moderator")
    with app.app_context():
        modlog.set_moderator("moderator")
    return client, user_id


def test_a_moderator_deletes_a_reported_post_from_the_queue(app):
    author, _ = person(app, "author")
    reader, _ = person(app, "reader")
    post_id = publish_ok(author, "spam spam spam")
    _comment(reader, post_id, "a reply under it")
    _report(reader, "post", post_id)
    assert (
        post(
            author, "/reports", {"target_type": "post", "target_id": post_id, "reason": "spam"}
        ).status_code
        == 400
    )  # not one's own
    moderator, _ = _moderator(app)
    queue = moderator.get("/mod/").get_data(as_text=True)
    assert "spam spam spam" in queue and 'value="delete"' in queue
    # Members cannot resolve.
    data = {"target_type": "post", "target_id": post_id, "action": "delete", "note": "ads"}
    assert post(reader, "/mod/resolve", data).status_code == 404
    assert post_row(app, post_id) is not None
    assert post(moderator, "/mod/resolve", data).status_code == 303
    assert post_row(app, post_id) is None
    assert reader.get(f"/posts/{post_id}").status_code == 404
    with app.app_context():
        report = db.session.scalar(select(Report))
        assert report.status == ReportStatus.RESOLVED and report.resolution == "delete"
        logged = set(db.session.scalars(select(ModAction.action)))
    assert {"delete_post", "resolve_delete"} <= logged


def test_a_moderator_deletes_a_reported_comment_and_keeps_the_count(app):
    author, _ = person(app, "author")
    troll, _ = person(app, "troll")
    post_id = publish_ok(author, "my song")
    assert _comment(troll, post_id, "boo").status_code == 303
    bad = comment_rows(app, post_id)[0].id
    assert _comment(author, post_id, "why", parent_id=bad).status_code == 303
    assert _comment(author, post_id, "thanks all").status_code == 303
    _report(author, "comment", bad)
    moderator, _ = _moderator(app)
    assert "boo" in moderator.get("/mod/").get_data(as_text=True)
    data = {"target_type": "comment", "target_id": bad, "action": "delete"}
    assert post(moderator, "/mod/resolve", data).status_code == 303
    assert [c.body for c in comment_rows(app, post_id)] == ["thanks all"]
    assert post_row(app, post_id).comment_count == 1


def test_timeouts_and_bans_from_a_post_report_hit_its_author(app):
    author, author_id = person(app, "author")
    reader, _ = person(app, "reader")
    post_id = publish_ok(author, "rude words")
    _report(reader, "post", post_id)
    moderator, _ = _moderator(app)
    data = {"target_type": "post", "target_id": post_id, "action": "ban", "days": "2"}
    assert post(moderator, "/mod/resolve", data).status_code == 303
    with app.app_context():
        ban = db.session.scalar(select(Ban))
        assert ban.user_id == author_id
    assert post_row(app, post_id) is not None  # a ban alone keeps the post

    post_id2 = publish_ok(reader, "another")
    _report(moderator, "post", post_id2)
    other_mod, _ = person(app, "second")
    with app.app_context():
        modlog.set_moderator("second")
    timeout = {"target_type": "post", "target_id": post_id2, "action": "timeout", "minutes": "10"}
    assert post(other_mod, "/mod/resolve", timeout).status_code == 303
    with app.app_context():
        reader_id = db.session.scalar(select(User.id).where(User.username == "reader"))
        assert sanctions.active_timeout(reader_id) is not None
