"""Likes under real concurrency against PostgreSQL: threads, each with its own client."""

from __future__ import annotations

import pytest

from tests.support.web import AuthActions
from tests.web.posts_support import like_rows, post_row, publish_ok
from tests.web.test_room_concurrency import race

TAPS = 20


@pytest.fixture
def needs_postgres(database):
    """Skip unless this run uses PostgreSQL, where the race between connections is real."""
    if not database.is_postgres:
        pytest.skip("needs PostgreSQL: run with TEST_DATABASE_URL=postgresql://…")


@pytest.mark.postgres
def test_twenty_concurrent_likes_by_one_person_store_one(needs_postgres, app, show_people):
    mina, junho = show_people("mina", "junho")
    post_id = publish_ok(mina.client, "tap tap")
    clients = [junho.client]
    for _ in range(TAPS - 1):  # twenty tabs of the same person
        client = app.test_client()
        assert AuthActions(client).login("junho").status_code == 303
        clients.append(client)
    statuses = race([(c, f"/posts/{post_id}/like", {"action": "like"}) for c in clients])
    assert set(statuses) == {303}
    assert like_rows(app, post_id=post_id) == 1
    assert post_row(app, post_id).like_count == 1
    # And twenty concurrent unlikes take it back exactly once.
    race([(c, f"/posts/{post_id}/like", {"action": "unlike"}) for c in clients])
    assert like_rows(app, post_id=post_id) == 0
    assert post_row(app, post_id).like_count == 0


@pytest.mark.postgres
def test_twenty_people_liking_at_once_count_twenty(needs_postgres, app, show_people):
    author, *fans = show_people("author", *(f"fan{i:02d}" for i in range(TAPS)))
    post_id = publish_ok(author.client, "clap for me")
    statuses = race([(f.client, f"/posts/{post_id}/like", {"action": "like"}) for f in fans])
    assert set(statuses) == {303}
    assert like_rows(app, post_id=post_id) == TAPS
    assert post_row(app, post_id).like_count == TAPS


@pytest.mark.postgres
def test_concurrent_comment_likes_count_exactly(needs_postgres, app, show_people):
    from tests.support.web import post
    from tests.web.posts_support import comment_rows

    author, *fans = show_people("author", *(f"fan{i:02d}" for i in range(10)))
    post_id = publish_ok(author.client, "comment race")
    assert post(author.client, f"/posts/{post_id}/comments", {"body": "hi"}).status_code == 303
    comment_id = comment_rows(app, post_id)[0].id
    posts = [(f.client, f"/comments/{comment_id}/like", {"action": "like"}) for f in fans]
    posts += [(fans[0].client, f"/comments/{comment_id}/like", {"action": "like"})] * 5
    race(posts)
    assert like_rows(app, comment_id=comment_id) == 10
    assert comment_rows(app, post_id)[0].like_count == 10
