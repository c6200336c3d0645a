"""Highlights on phones: post with a photo, like and comment live, reply, scroll the feed."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.extensions import db
from app.models import User
from app.services import social
from app.services.posts import writing
from tests.conftest import make_app
from tests.e2e.show import connected, person
from tests.web.posts_support import heic, jpeg

pytestmark = pytest.mark.e2e

POST_URL = re.compile(r"/posts/(\d+)$")


def user_id(username: str) -> int:
    """Look a person up in the server's database."""
    with make_app().app_context():
        return db.session.scalar(select(User.id).where(User.username == username))


def test_post_a_photo_like_comment_reply_live(browsers, tmp_path):
    mina = person(browsers, "mina", "민아")
    junho = person(browsers, "junho", "준호")
    photo = tmp_path / "stage.jpg"
    photo.write_bytes(jpeg((1200, 900), gps=True))

    # 민아 posts a highlight with a photo from her phone.
    mina.page.goto("/posts/new")
    mina.page.get_by_label("What happened?").fill("첫 무대 #노래방")
    mina.page.get_by_label("Photos").set_input_files(str(photo))
    mina.page.get_by_role("button", name="Post", exact=True).click()
    expect(mina.page).to_have_url(POST_URL)
    post_path = "/posts/" + POST_URL.search(mina.page.url).group(1)
    image = mina.page.locator(".post-photos img").first
    expect(image).to_be_visible()
    assert mina.page.evaluate("(img) => img.naturalWidth", image.element_handle()) == 1200
    expect(mina.page.get_by_role("link", name="#노래방")).to_be_visible()
    connected(mina)

    # 준호 likes it; the button swaps in place and 민아 sees the count move live.
    junho.page.goto(post_path)
    connected(junho)
    like = junho.page.locator(f"#like-post-{post_path.rsplit('/', 1)[1]} button")
    like.click()
    expect(like).to_have_attribute("aria-pressed", "true")
    assert junho.page.url.endswith(post_path)
    expect(mina.page.locator(".post-page .like-count").first).to_have_text("1")

    # 준호 comments; 민아 sees it arrive without reloading, and replies.
    junho.page.get_by_label("Add a comment").fill("최고예요 👏")
    junho.page.get_by_role("button", name="Comment", exact=True).click()
    expect(junho.page.locator(".comment-body", has_text="최고예요 👏")).to_have_count(1)
    expect(mina.page.locator(".comment-body", has_text="최고예요 👏")).to_have_count(1)
    mina.page.locator("summary", has_text="Reply").first.click()
    mina.page.get_by_label("Reply to 준호").fill("고마워요!")
    mina.page.get_by_role("button", name="Reply", exact=True).click()
    expect(mina.page.locator(".comment-reply .comment-body", has_text="고마워요!")).to_have_count(1)
    expect(junho.page.locator(".comment-reply .comment-body", has_text="고마워요!")).to_have_count(
        1
    )


def test_an_iphone_heic_photo_is_posted_as_a_jpeg(browsers, tmp_path):
    mina = person(browsers, "mina", "민아")
    photo = tmp_path / "IMG_0042.HEIC"
    photo.write_bytes(heic((2000, 1500), gps=True))

    mina.page.goto("/posts/new")
    mina.page.get_by_label("What happened?").fill("아이폰으로 찍었어요")
    mina.page.get_by_label("Photos").set_input_files(str(photo))
    mina.page.get_by_role("button", name="Post", exact=True).click()
    expect(mina.page).to_have_url(POST_URL)
    image = mina.page.locator(".post-photos img").first
    expect(image).to_be_visible()
    # The browser could draw it: it was stored as a JPEG, resized to the 1,600 px edge.
    assert mina.page.evaluate("(img) => img.naturalWidth", image.element_handle()) == 1600
    assert mina.page.evaluate("(img) => img.naturalHeight", image.element_handle()) == 1200


def test_scrolling_the_feed_loads_every_post_once(browsers):
    reader = person(browsers, "reader", "독자")
    author_name = reader.username + "a"
    with make_app().app_context():
        from app.services import accounts

        author = accounts.create_user(author_name, "작가", "correct horse").id
        for i in range(27):
            writing.create_post(author, f"무대 {i:02d}")
        social.follow(user_id(reader.username), author)

    reader.page.goto("/feed")
    cards = reader.page.locator("article.post-card")
    expect(cards).to_have_count(20)
    for _ in range(5):
        reader.page.locator("article.post-card").last.scroll_into_view_if_needed()
        reader.page.mouse.wheel(0, 4000)
        if cards.count() == 27:
            break
        reader.page.wait_for_timeout(300)
    expect(cards).to_have_count(27)
    bodies = cards.locator(".post-body").all_text_contents()
    assert bodies == [f"무대 {i:02d}" for i in reversed(range(27))]
