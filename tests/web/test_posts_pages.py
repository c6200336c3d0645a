"""Highlights end to end over HTTP: posting, liking with and without htmx, comments,
the feeds and their keyset pages, Open Graph, and a bounded number of queries."""

from __future__ import annotations

import re
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event, update

from app.database import utcnow
from app.extensions import db
from app.models import Post
from app.services import social
from app.services.posts import comments, likes, ranking, writing
from tests.support.web import HTMX, post
from tests.web.posts_support import jpeg, like_rows, post_row, publish, publish_ok

POST_IDS = re.compile(r'<article class="card post-card" id="post-(\d+)"')
NEXT = re.compile(r'<a class="btn btn-ghost btn-block feed-more" href="([^"]+)"')


@pytest.fixture
def people(app, show_people, tmp_path):
    """mina, junho and sora, signed in; pictures go to this test's own folder."""
    app.config["UPLOAD_DIR"] = str(tmp_path / "uploads")
    return show_people("mina", "junho", "sora")


def ids_on(html: str) -> list[int]:
    """The post ids a page shows, in order."""
    return [int(n) for n in POST_IDS.findall(html)]


def next_link(html: str) -> str | None:
    """The "more" link of a page, unescaped."""
    match = NEXT.search(html)
    return match.group(1).replace("&amp;", "&") if match else None


def test_post_with_a_photo_shows_it_with_tags_and_open_graph(app, people):
    mina, _, _ = people
    response = publish(mina.client, "Finale! #노래방 #Encore <b>bold</b>", [jpeg()])
    assert response.status_code == 303
    post_id = int(response.headers["Location"].rsplit("/", 1)[1])
    html = mina.client.get(f"/posts/{post_id}").get_data(as_text=True)
    (photo,) = post_row(app, post_id).photos
    assert f'<meta property="og:image" content="http://localhost/media/{photo.key}">' in html
    assert 'property="og:title"' in html
    assert '<a class="tag" href="/tags/%EB%85%B8%EB%9E%98%EB%B0%A9">#노래방</a>' in html
    assert '<a class="tag" href="/tags/encore">#Encore</a>' in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html and "<b>bold</b>" not in html
    assert f'data-subscribe="post:{post_id}"' in html
    tag_page = mina.client.get("/tags/노래방").get_data(as_text=True)
    assert ids_on(tag_page) == [post_id]
    assert ids_on(mina.client.get("/tags/ENCORE").get_data(as_text=True)) == [post_id]


def test_an_empty_post_is_refused_and_writes_nothing(app, people):
    mina, _, _ = people
    response = publish(mina.client, "   ")
    assert response.status_code == 400
    assert "Write something or add a photo" in response.get_data(as_text=True)
    response = publish(mina.client, "x" * 1001)
    assert response.status_code == 400
    with app.app_context():
        assert db.session.query(Post).count() == 0


def test_like_without_javascript_is_idempotent_and_listed(app, people):
    mina, junho, _ = people
    post_id = publish_ok(mina.client, "like me")
    for _ in range(2):  # a double tap
        response = post(junho.client, f"/posts/{post_id}/like", {"action": "like"})
        assert response.status_code == 303
        assert response.headers["Location"] == f"/posts/{post_id}"
    assert post_row(app, post_id).like_count == 1 == like_rows(app, post_id=post_id)
    likers = mina.client.get(f"/posts/{post_id}/likes").get_data(as_text=True)
    assert "/users/junho" in likers
    assert post(junho.client, f"/posts/{post_id}/like", {"action": "unlike"}).status_code == 303
    assert post(junho.client, f"/posts/{post_id}/like", {"action": "unlike"}).status_code == 303
    assert post_row(app, post_id).like_count == 0 == like_rows(app, post_id=post_id)
    # Without an action the button toggles.
    post(junho.client, f"/posts/{post_id}/like")
    assert post_row(app, post_id).like_count == 1


def test_like_with_htmx_swaps_the_button(app, people):
    mina, junho, _ = people
    post_id = publish_ok(mina.client, "like me")
    response = post(junho.client, f"/posts/{post_id}/like", {"action": "like"}, htmx=True)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<form" in html and "<html" not in html
    assert 'aria-pressed="true"' in html and 'value="unlike"' in html
    assert f'data-like-count="post-{post_id}">1<' in html


def test_comments_replies_and_comment_likes(app, people):
    mina, junho, sora = people
    post_id = publish_ok(mina.client, "talk to me")
    response = post(junho.client, f"/posts/{post_id}/comments", {"body": "<i>great</i>"})
    assert response.status_code == 303 and "#comment-" in response.headers["Location"]
    comment_id = int(response.headers["Location"].rsplit("-", 1)[1])
    response = post(
        sora.client,
        f"/posts/{post_id}/comments",
        {"body": "agreed", "parent_id": comment_id},
        htmx=True,
    )
    assert response.status_code == 200
    fragment = response.get_data(as_text=True)
    assert "agreed" in fragment and "&lt;i&gt;great&lt;/i&gt;" in fragment
    assert "comment-reply" in fragment
    assert post(mina.client, f"/comments/{comment_id}/like", {"action": "like"}).status_code == 303
    assert like_rows(app, comment_id=comment_id) == 1
    assert post_row(app, post_id).comment_count == 2
    # An empty comment is refused, with and without htmx, and writes nothing.
    assert post(sora.client, f"/posts/{post_id}/comments", {"body": " "}).status_code == 400
    response = post(sora.client, f"/posts/{post_id}/comments", {"body": ""}, htmx=True)
    assert response.status_code == 400
    assert post_row(app, post_id).comment_count == 2


def test_comment_list_fragment_for_live_refresh(app, people):
    mina, junho, _ = people
    post_id = publish_ok(mina.client, "live")
    post(junho.client, f"/posts/{post_id}/comments", {"body": "first!"})
    response = mina.client.get(f"/posts/{post_id}/comments", headers=HTMX)
    html = response.get_data(as_text=True)
    assert "first!" in html and "<html" not in html
    assert "HX-Request" in response.headers["Vary"]


def test_edit_and_delete_own_post(app, people):
    mina, _, _ = people
    post_id = publish_ok(mina.client, "typo #oops", [jpeg()])
    (photo,) = post_row(app, post_id).photos
    assert post(mina.client, f"/posts/{post_id}/edit", {"body": "fixed #yay"}).status_code == 303
    assert post_row(app, post_id).body == "fixed #yay"
    assert ids_on(mina.client.get("/tags/yay").get_data(as_text=True)) == [post_id]
    assert ids_on(mina.client.get("/tags/oops").get_data(as_text=True)) == []
    assert post(mina.client, f"/posts/{post_id}/delete").status_code == 303
    assert post_row(app, post_id) is None
    assert mina.client.get(f"/media/{photo.key}").status_code == 404


def test_following_feed_has_posts_and_show_results_of_people_i_follow(app, people):
    mina, junho, sora = people
    with app.app_context():
        social.follow(mina.id, junho.id)
    followed = publish_ok(junho.client, "from junho")
    stranger = publish_ok(sora.client, "from sora")
    mine = publish_ok(mina.client, "from me")
    html = mina.client.get("/feed").get_data(as_text=True)
    assert ids_on(html) == [mine, followed]
    assert stranger not in ids_on(html)


def test_discover_ranks_by_the_job_and_search_finds_words(app, people):
    mina, junho, _ = people
    quiet = publish_ok(mina.client, "a quiet ballad")
    loud = publish_ok(mina.client, "a loud Ballad encore")
    post(junho.client, f"/posts/{quiet}/like", {"action": "like"})
    with app.app_context():
        assert ranking.rank_recent_posts() == 2
    assert ids_on(junho.client.get("/posts/").get_data(as_text=True)) == [quiet, loud]
    found = junho.client.get("/posts/?q=BALLAD+encore").get_data(as_text=True)
    assert ids_on(found) == [loud]
    assert ids_on(junho.client.get("/posts/?q=100%25").get_data(as_text=True)) == []


def test_profile_tabs_list_posts_and_likes(app, people):
    mina, junho, _ = people
    first = publish_ok(mina.client, "one")
    second = publish_ok(mina.client, "two")
    post(junho.client, f"/posts/{first}/like", {"action": "like"})
    assert ids_on(junho.client.get("/users/mina/posts").get_data(as_text=True)) == [second, first]
    assert ids_on(junho.client.get("/users/junho/liked").get_data(as_text=True)) == [first]
    assert junho.client.get("/users/nobody/posts").status_code == 404


def _walk(client, url: str, *, between=None) -> list[int]:
    """Follow "more" links to the end (as htmx does), calling `between` after each page."""
    seen: list[int] = []
    while url:
        html = client.get(url, headers=HTMX if seen else {}).get_data(as_text=True)
        seen += ids_on(html)
        url = next_link(html)
        if between:
            between()
    return seen


def test_cursor_pages_are_exact_while_posts_arrive(app, people):
    mina, _, _ = people
    app.config["FEED_PAGE_SIZE"] = 3
    with app.app_context():
        original = [writing.create_post(mina.id, f"post {i} #night").id for i in range(8)]
        # Three posts share one instant, so only the id breaks their tie.
        same = utcnow() - timedelta(minutes=5)
        db.session.execute(update(Post).where(Post.id.in_(original[2:5])).values(created_at=same))
        db.session.commit()

    def arrive():
        """A new post lands between two pages."""
        with app.app_context():
            writing.create_post(mina.id, "late arrival #night")

    expected = sorted(original, key=lambda i: (i not in original[2:5], i), reverse=True)
    for url in ("/tags/night", "/users/mina/posts", "/feed"):
        seen = _walk(mina.client, url, between=arrive)
        old = [i for i in seen if i in original]
        assert old == expected, url
        assert len(seen) == len(set(seen)), url


def test_infinite_scroll_link_works_with_and_without_htmx(app, people):
    mina, _, _ = people
    app.config["FEED_PAGE_SIZE"] = 2
    with app.app_context():
        for i in range(3):
            writing.create_post(mina.id, f"p{i}")
    html = mina.client.get("/users/mina/posts").get_data(as_text=True)
    assert 'hx-trigger="revealed"' in html and 'rel="next"' in html
    more = next_link(html)
    plain = mina.client.get(more).get_data(as_text=True)
    assert "<html" in plain and len(ids_on(plain)) == 1
    fragment = mina.client.get(more, headers=HTMX).get_data(as_text=True)
    assert "<html" not in fragment and ids_on(fragment) == ids_on(plain)
    assert next_link(fragment) is None
    assert mina.client.get("/users/mina/posts?cursor=garbage").status_code == 400


@contextmanager
def counted(app):
    """Collect every SQL statement the app runs inside the block."""
    statements: list[str] = []
    with app.app_context():
        engine = db.engine

    def hook(conn, cursor, statement, *args):
        """Record one statement."""
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", hook)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", hook)


def _grow(app, author_id: int, fans: list[int], post_ids: list[int], rounds: int) -> None:
    """Add comments, replies and likes (on posts and comments) through the services."""
    with app.app_context():
        for post_id in post_ids:
            for i in range(rounds):
                top = comments.add_comment(post_id, fans[i % len(fans)], f"c{i}")
                reply = comments.add_comment(post_id, author_id, f"r{i}", top.id)
                likes.set_comment_like(reply.id, fans[0], True)
            for fan in fans:
                likes.set_post_like(post_id, fan, True)


def test_feed_and_post_pages_run_a_bounded_number_of_queries(app, people, make_user):
    mina, junho, sora = people
    with app.app_context():
        social.follow(mina.id, junho.id)
    post_ids = [publish_ok(junho.client, f"photo #tag{i}", [jpeg((80, 60))]) for i in range(2)]
    _grow(app, junho.id, [mina.id, sora.id], post_ids, 1)

    def measure() -> tuple[int, int]:
        """Count the statements of the feed and of the post page."""
        with counted(app) as feed:
            assert mina.client.get("/feed").status_code == 200
        with counted(app) as page:
            assert mina.client.get(f"/posts/{post_ids[0]}").status_code == 200
        return len(feed), len(page)

    small = measure()
    fans = [make_user(f"fan{i}") for i in range(4)]
    more_posts = [publish_ok(junho.client, f"more #x{i}", [jpeg((80, 60))]) for i in range(3)]
    _grow(app, junho.id, [*fans, mina.id], post_ids + more_posts, 4)
    assert measure() == small


def test_a_highlight_links_the_authors_own_performance_and_results_reach_the_feed(app, people):
    from tests.support import factories

    mina, junho, sora = people
    with app.app_context():
        room_id = factories.room(
            junho.id, title="Ballad night", status="finished", member_ids=(mina.id, sora.id)
        )
        performance_id = factories.finished_performance(room_id, junho.id, {mina.id: 9, sora.id: 8})
        social.follow(mina.id, junho.id)
    # The results page offers the performer (and only the performer) a prefilled highlight.
    results = junho.client.get(f"/rooms/{room_id}").get_data(as_text=True)
    assert f"/posts/new?performance_id={performance_id}" in results
    assert "/posts/new?performance_id=" not in sora.client.get(f"/rooms/{room_id}").get_data(
        as_text=True
    )
    form = junho.client.get(f"/posts/new?performance_id={performance_id}").get_data(as_text=True)
    assert "Ballad night" in form and f'value="{performance_id}"' in form
    response = publish(junho.client, "what a night", performance_id=str(performance_id))
    assert response.status_code == 303
    page = junho.client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Ballad night" in page and "8.50" in page
    # Someone else's performance cannot be linked.
    refused = publish(sora.client, "mine now", performance_id=str(performance_id))
    assert refused.status_code == 400
    # mina follows junho: his result and his post are both in her feed, newest first.
    feed = mina.client.get("/feed").get_data(as_text=True)
    assert f'id="result-{performance_id}"' in feed
    assert feed.index('post-card" id="post-') < feed.index(f'id="result-{performance_id}"')


def test_comments_come_in_pages_of_threads(app, people):
    mina, junho, _ = people
    post_id = publish_ok(mina.client, "so many words")
    with app.app_context():
        count = comments.THREADS_PER_PAGE + 3
        tops = [comments.add_comment(post_id, junho.id, f"note {i:02d}").id for i in range(count)]
        comments.add_comment(post_id, mina.id, "reply on the last", tops[-1])
    first = mina.client.get(f"/posts/{post_id}").get_data(as_text=True)
    shown = [int(n) for n in re.findall(r'<li class="comment" id="comment-(\d+)"', first)]
    assert shown == tops[: comments.THREADS_PER_PAGE]
    more = re.search(r'<li class="comments-more"><a [^>]*href="([^"]+)"', first).group(1)
    rest = mina.client.get(more.replace("&amp;", "&"), headers=HTMX).get_data(as_text=True)
    shown_next = [int(n) for n in re.findall(r'<li class="comment" id="comment-(\d+)"', rest)]
    assert shown_next == tops[comments.THREADS_PER_PAGE :]
    assert "reply on the last" in rest and "comments-more" not in rest
    # Without JavaScript the same link is a whole page.
    assert "<html" in mina.client.get(more.replace("&amp;", "&")).get_data(as_text=True)
