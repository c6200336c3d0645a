"""What every signed-in page costs the database before its own content: the user, then the
navigation badges (unread conversation lines, unread notifications, a waiting report
outcome) read together in one statement (app/badges.py). A change that splits them again,
or reads them twice, fails here."""

from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event

from app.extensions import db
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


def test_a_page_reads_its_three_badges_in_one_statement(app):
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
    # The counts are still right: the group's "started" line and "hello" are unread.
    html = page.get_data(as_text=True)
    assert 'id="nav-chat-badge" data-unread="2"' in html


def test_a_commit_during_the_request_reads_the_badges_again(app):
    mina, _ = person(app, "mina")
    junho, _ = person(app, "junho")
    group = start_group(junho, "Crew", "mina")
    say(junho, f"/chats/{group}/messages", "hello")
    # Opening the conversation marks it read (a commit) before the page renders its badge.
    page = mina.get(f"/chats/{group}")
    assert page.status_code == 200
    assert 'id="nav-chat-badge" data-unread="0"' in page.get_data(as_text=True)
