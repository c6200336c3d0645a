"""The once-per-response shortcuts of highlights lists write exactly what the shared filters
and url_for write, in both languages, and the lists still show avatars and authors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import url_for

from app.blueprints.posts.listing import list_ui, short_clock
from app.extensions import db
from app.i18n import datetime_short
from app.models import User
from tests.support.web import post
from tests.web.posts_support import publish_ok


@pytest.fixture
def people(app, show_people, tmp_path):
    """Two signed-in people; pictures go to this test's own folder."""
    app.config["UPLOAD_DIR"] = str(tmp_path / "uploads")
    return show_people("mina", "jun")


MOMENTS = [
    datetime(2026, 11, 30, 14, 59, 59, tzinfo=UTC),  # 23:59 in Seoul
    datetime(2026, 11, 30, 15, 0, 0, tzinfo=UTC),  # the next day in Seoul
    datetime(2026, 1, 1, 0, 7, 0, tzinfo=UTC),
    datetime(2025, 6, 9, 3, 4, 5, 678901, tzinfo=UTC),
    datetime(2026, 3, 8, 9, 30),  # naive: read as UTC, like the filter does
    datetime.now(UTC) - timedelta(minutes=3),
]


@pytest.mark.parametrize("language", ["ko", "en"])
def test_the_list_clock_writes_what_datetime_short_writes(app, language):
    with app.test_request_context("/", headers={"Accept-Language": language}):
        clock = short_clock()
        assert [clock(moment) for moment in MOMENTS] == [datetime_short(m) for m in MOMENTS]
        assert clock(None) == datetime_short(None) == ""


def test_list_urls_are_the_url_for_urls(app):
    with app.test_request_context("/posts/5"):
        ui = list_ui()
        assert list_ui() is ui  # built once per response
        for ident in (1, 42, 2_000_000_000):
            assert ui.post_url(ident) == url_for("posts.show", post_id=ident)
            assert ui.post_like_url(ident) == url_for("posts.like", post_id=ident)
            assert ui.add_comment_url(ident) == url_for("posts.add_comment", post_id=ident)
            assert ui.comment_like_url(ident) == url_for("posts.like_comment", comment_id=ident)
            assert ui.comment_edit_url(ident) == url_for("posts.edit_comment", comment_id=ident)
            assert ui.comment_delete_url(ident) == url_for("posts.delete_comment", comment_id=ident)
        for name in ("mina", "user_2", "a.b-c"):
            assert ui.profile_url(name) == url_for("profiles.show", username=name)
        assert ui.login_to_like_url == url_for("auth.login", next="/posts/5")


def test_a_post_card_shows_the_authors_avatar_and_a_comment_its_author(app, people):
    mina, jun = people
    with app.app_context():
        user = db.session.get(User, mina.id)
        user.avatar_filename = "a" * 32 + ".jpg"
        db.session.commit()
    post_id = publish_ok(mina.client, "무대 #노래방")
    post(jun.client, f"/posts/{post_id}/comments", {"body": "최고예요"})
    feed = jun.client.get("/posts/").get_data(as_text=True)
    assert f'src="/avatars/{"a" * 32}.jpg"' in feed
    assert f'href="/posts/{post_id}#comments"' in feed
    page = jun.client.get(f"/posts/{post_id}").get_data(as_text=True)
    assert 'href="/users/jun"><strong>' in page and "최고예요" in page


def test_tag_links_are_the_url_for_urls(app):
    from app.blueprints.posts.text import post_body

    with app.test_request_context("/"):
        html = str(post_body("무대 #노래방 #Encore_2 #ÉTÉ #x1"))
        for tag in ("노래방", "encore_2", "été", "x1"):
            assert f'href="{url_for("posts.tag", tag=tag)}"' in html
