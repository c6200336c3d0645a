"""The report flow on real phones: report a post and a chat line, a moderator resolves each on
/mod/ with an action, and the reporter hears the outcome live and on the notifications page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.extensions import db
from app.models import Post
from app.services import modlog
from tests.conftest import make_app
from tests.e2e.audits import audit
from tests.e2e.show import connected, join, open_room, person

pytestmark = pytest.mark.e2e

POST_URL = re.compile(r"/posts/(\d+)$")


def grant_moderator(username: str) -> None:
    """Grant the role on the server's database, as `flask grant-moderator` does."""
    with make_app().app_context():
        modlog.set_moderator(username)


def post_exists(post_id: int) -> bool:
    """Tell whether the post is still in the server's database."""
    with make_app().app_context():
        return db.session.scalar(select(Post.id).where(Post.id == post_id)) is not None


def report(page, note: str) -> None:
    """Fill in the report form the page is on and send it."""
    expect(page.get_by_role("heading", level=1, name="Report")).to_be_visible()
    page.get_by_label("Reason").select_option("spam")
    page.get_by_label("Anything else we should know? (optional)").fill(note)
    page.get_by_role("button", name="Send report").click()
    expect(page.get_by_role("status").filter(has_text="Thanks for telling us")).to_be_visible()


def test_report_a_post_and_a_chat_line_from_a_phone_and_hear_the_outcome(browsers):
    author = person(browsers, "author", "글쓴이")
    reporter = person(browsers, "reporter", "신고자")
    moderator = person(browsers, "mod", "운영자")
    grant_moderator(moderator.username)

    # The author posts a highlight.
    author.page.goto("/posts/new")
    author.page.get_by_label("What happened?").fill("buy cheap followers at example dot com")
    author.page.get_by_role("button", name="Post", exact=True).click()
    expect(author.page).to_have_url(POST_URL)
    post_id = int(POST_URL.search(author.page.url).group(1))

    # The reporter reports it from their phone.
    reporter.page.goto(f"/posts/{post_id}")
    # Let the comment list's refresh on connect finish first: axe must not audit mid-swap.
    connected(reporter)
    reporter.page.wait_for_load_state("networkidle")
    audit(browsers, reporter.page, "report-post-page")
    reporter.page.get_by_role("link", name="Report", exact=True).click()
    audit(browsers, reporter.page, "report-form")
    report(reporter.page, "advertising")

    # …and a chat line in a room they share.
    room = open_room(author, "Spam corner")
    join(reporter, room)
    composer = author.page.get_by_role("textbox", name="Message")
    composer.fill("follow me for free coins")
    composer.press("Enter")
    line = reporter.page.locator("#chat .chat-line", has_text="follow me for free coins")
    expect(line).to_be_visible()
    line.get_by_role("link", name="Report").click()
    report(reporter.page, "the same ads in chat")
    reporter.page.goto("/")
    connected(reporter)

    # The moderator sees both, with context, and deletes the post.
    moderator.page.goto("/mod/")
    queue = moderator.page.get_by_role("main")
    expect(queue).to_contain_text("buy cheap followers")
    expect(queue).to_contain_text("advertising")
    expect(queue).to_contain_text("follow me for free coins")
    audit(browsers, moderator.page, "mod-queue")
    item = moderator.page.locator(f"#target-post-{post_id}")
    item.get_by_role("radio", name="Delete the highlight").check()
    item.get_by_label("Note").fill("advertising")
    item.get_by_role("button", name="Resolve").click()
    resolved = moderator.page.get_by_role("status").filter(has_text="Resolved 1 report")
    expect(resolved).to_be_visible()
    assert not post_exists(post_id)

    # The reporter is told at once, live, without reloading.
    expect(reporter.page.locator("#toasts")).to_contain_text("A moderator looked at your report")

    # The chat line: time its author out of chat for ten minutes.
    chat_item = moderator.page.locator(".mod-item", has_text="follow me for free coins")
    chat_item.get_by_role("radio", name="Time out of chat").check()
    chat_item.get_by_label("Timeout").select_option("10")
    chat_item.get_by_role("button", name="Resolve").click()
    expect(moderator.page.get_by_text("Nothing to review. Well done.")).to_be_visible()
    audit(browsers, moderator.page, "mod-queue-empty")

    # The notifications page lists both outcomes; the post is gone for everyone.
    reporter.page.goto("/notifications")
    outcomes = reporter.page.get_by_text("A moderator looked at your report")
    expect(outcomes).to_have_count(2)
    audit(browsers, reporter.page, "report-outcomes")
    with browsers.expecting(404):
        reporter.page.goto(f"/posts/{post_id}")
        expect(reporter.page.get_by_role("heading", level=1)).to_be_visible()

    # The moderator log shows what was done.
    moderator.page.goto("/mod/log")
    expect(moderator.page.get_by_role("main")).to_contain_text("delete_post")
    audit(browsers, moderator.page, "mod-log")
