"""What every signed-in page costs the database before its own content: the user, then the
navigation badges (unread conversation lines, unread notifications, a waiting report
outcome) read together in one statement (app/badges.py). A change that splits them again,
or reads them twice, fails here."""

from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event

from app.extensions import db
from app.services import leaderboard
from tests.support.web import HTMX, csrf_token, post
from tests.web.chat_helpers import person, say, start_group


@contextmanager
def statements(app):
    """Collect every statement the app's engine sends, lower-cased."""
    seen: list[str] = []
    with app.app_context():
        engine = db.engine

    def record(_conn, _cursor, statement, _params, _context, _many) -> None:
        seen.append(statement.lower())

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _badge_reads(seen: list[str]) -> list[str]:
    """The statements that read a badge count."""
    return [s for s in seen if "from notifications" in s or "from reports" in s]


def test_a_page_reads_its_three_badges_with_the_signed_in_user(app):
    mina, _ = person(app, "mina")
    junho, _ = person(app, "junho")
    group = start_group(junho, "Crew", "mina")
    say(junho, f"/chats/{group}/messages", "hello")
    with statements(app) as seen:
        page = mina.get("/rooms/")
    assert page.status_code == 200
    reads = _badge_reads(seen)
    assert len(reads) == 1, reads
    assert "channel_members" in reads[0] and "reports" in reads[0]
    # One round trip for both: the badges are columns of the user's own statement.
    assert reads[0].startswith("select users.id") and "where users.id =" in reads[0]
    # The counts are still right: the group's "started" line and "hello" are unread.
    html = page.get_data(as_text=True)
    assert 'id="nav-chat-badge" data-unread="2"' in html


def test_a_fragment_or_a_post_loads_the_user_without_the_badges(app):
    mina, _ = person(app, "mina")
    junho, _ = person(app, "junho")
    group = start_group(junho, "Crew", "mina")
    token = csrf_token(mina)
    with statements(app) as seen:
        fragment = mina.get(f"/chats/{group}/messages", headers=HTMX)
        posted = mina.post(
            f"/chats/{group}/messages",
            data={"body": "hi", "client_id": "fragment-test-1"},
            headers={**HTMX, "X-CSRFToken": token},
        )
    assert fragment.status_code == 200 and posted.status_code == 201
    users = [s for s in seen if s.startswith("select users.id") and "where users.id =" in s]
    # (On SQLite the post's write transaction reloads the user once more after its commit.)
    assert len(users) >= 2, users
    assert _badge_reads(seen) == []


def test_a_commit_during_the_request_reads_the_badges_again(app):
    mina, _ = person(app, "mina")
    junho, _ = person(app, "junho")
    group = start_group(junho, "Crew", "mina")
    say(junho, f"/chats/{group}/messages", "hello")
    # Opening the conversation marks it read (a commit) before the page renders its badge.
    page = mina.get(f"/chats/{group}")
    assert page.status_code == 200
    assert 'id="nav-chat-badge" data-unread="0"' in page.get_data(as_text=True)


def test_a_profile_reads_its_follow_state_in_one_statement(app):
    mina, _ = person(app, "mina")
    junho, _ = person(app, "junho")
    hana, _ = person(app, "hana")
    person(app, "dami")
    assert post(junho, "/users/mina/follow").status_code == 303
    assert post(mina, "/users/dami/follow").status_code == 303
    assert post(hana, "/users/mina/block").status_code == 303
    with app.app_context():
        leaderboard.refresh()  # the rank is read from the hourly snapshot
    with statements(app) as seen:
        page = junho.get("/users/mina")
    assert page.status_code == 200
    # One statement counts both ways and asks whether junho follows or blocked mina.
    follows = [s for s in seen if "from follows" in s]
    assert len(follows) == 1, follows
    assert "from blocks" in follows[0]
    html = page.get_data(as_text=True)
    assert 'aria-pressed="true"' in html and "Following" in html  # junho follows mina
    assert "<strong>1</strong> follower" in html and "<strong>1</strong> following" in html
    assert ">\n    Block<" in html or "Block<span" in html  # junho has not blocked her
    # The profile's whole cost: the viewer with the badges, the person, the follow state,
    # the person's totals, their finished performances, score history and recent shows.
    queries = [s for s in seen if s not in ("begin", "commit")]
    assert len(queries) == 7, queries
    # Seen by the person who blocked her, the same statement says so.
    blocked = hana.get("/users/mina").get_data(as_text=True)
    assert "Unblock<span" in blocked
