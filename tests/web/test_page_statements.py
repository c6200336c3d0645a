"""What every signed-in page costs the database before its own content: the user, then the
navigation badges (unread conversation lines, unread notifications, a waiting report
outcome) read together in one statement (app/badges.py). A change that splits them again,
or reads them twice, fails here. (On PostgreSQL the user's statement runs prepared: the
log reads each EXECUTE as the SQL it runs.)"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import inspect, select, update

from app import badges
from app.database import utcnow
from app.extensions import db
from app.models import RoomMember, User
from app.services import chat as chat_service
from app.services import leaderboard
from app.sessions import load_user
from tests.support import factories
from tests.support.statements import StatementLog
from tests.support.web import HTMX, csrf_token, post
from tests.web.chat_helpers import person, say, start_group


@pytest.fixture(autouse=True)
def sql(app) -> Iterator[StatementLog]:
    """The app's statements, from before its first request."""
    with StatementLog(app) as log:
        yield log


@contextmanager
def statements(sql: StatementLog) -> Iterator[list[str]]:
    """Collect every statement sent inside the block, lower-cased once it ends."""
    seen: list[str] = []
    with sql.during() as sent:
        yield seen
    seen.extend(statement.lower() for statement in sent)


def _badge_reads(seen: list[str]) -> list[str]:
    """The statements that read a badge count."""
    return [s for s in seen if "from notifications" in s or "from reports" in s]


def test_a_page_reads_its_three_badges_with_the_signed_in_user(app, sql):
    mina, _ = person(app, "mina")
    junho, _ = person(app, "junho")
    group = start_group(junho, "Crew", "mina")
    say(junho, f"/chats/{group}/messages", "hello")
    with statements(sql) as seen:
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


def test_a_fragment_or_a_post_loads_the_user_without_the_badges(app, sql):
    mina, _ = person(app, "mina")
    junho, _ = person(app, "junho")
    group = start_group(junho, "Crew", "mina")
    token = csrf_token(mina)
    with statements(sql) as seen:
        fragment = mina.get(f"/chats/{group}/messages", headers=HTMX)
        posted = mina.post(
            f"/chats/{group}/messages",
            data={"body": "hi", "client_id": "fragment-test-1"},
            headers={**HTMX, "X-CSRFToken": token},
        )
    assert fragment.status_code == 200 and posted.status_code == 201
    users = [s for s in seen if s.startswith("select users.id") and "where users.id =" in s]
    # The fragment loads the user; the post checks the session in its own statement on
    # PostgreSQL, and loads the user alone on SQLite (docs/chat.md). Neither reads badges.
    assert users, seen
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


def test_a_profile_reads_its_follow_state_in_one_statement(app, sql):
    mina, _ = person(app, "mina")
    junho, _ = person(app, "junho")
    hana, _ = person(app, "hana")
    person(app, "dami")
    assert post(junho, "/users/mina/follow").status_code == 303
    assert post(mina, "/users/dami/follow").status_code == 303
    assert post(hana, "/users/mina/block").status_code == 303
    with app.app_context():
        leaderboard.refresh()  # the rank is read from the hourly snapshot
    with statements(sql) as seen:
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


def test_a_room_page_reads_the_room_and_the_hosts_blocks_in_one_statement(app, sql):
    mina, mina_id = person(app, "mina")
    junho, junho_id = person(app, "junho")
    with app.app_context():
        room_id = factories.room(mina_id, member_ids=[junho_id])
    for path in (f"/rooms/{room_id}", f"/rooms/{room_id}/stage"):
        assert junho.get(path).status_code == 200  # a first visit may write; not counted
        with statements(sql) as seen:
            assert junho.get(path).status_code == 200
        rooms = [s for s in seen if "from rooms" in s]
        assert len(rooms) == 1, rooms
        assert "from blocks" in rooms[0]
        # No statement of its own asks whether the viewer and the host blocked each other.
        pair = [s for s in seen if s.startswith("select blocks.blocker_id") and " or " in s]
        assert pair == [], pair
    # The same statement still hides the room once the host blocks the viewer.
    assert post(mina, "/users/junho/block").status_code == 303
    assert junho.get(f"/rooms/{room_id}").status_code == 404
    assert junho.get(f"/rooms/{room_id}/stage", headers=HTMX).status_code == 404


def test_a_room_page_reads_its_chat_channel_lines_and_senders_in_one_statement(app, sql):
    _mina, mina_id = person(app, "mina", "미나")
    junho, junho_id = person(app, "junho", "준호")
    with app.app_context():
        room_id = factories.room(mina_id, member_ids=[junho_id])
        channel_id = chat_service.room_channel_id(room_id)
        db.session.commit()  # end the read that looked for the channel before writing
        for n in range(1, 56):
            chat_service.persist(channel_id, mina_id if n % 2 else junho_id, f"line {n}")
        db.session.commit()
    for path in (f"/rooms/{room_id}", f"/rooms/{room_id}/frames/chat"):
        with statements(sql) as seen:
            response = junho.get(path)
        assert response.status_code == 200
        chat = [s for s in seen if s.startswith("select channels.") or "messages.body" in s]
        assert len(chat) == 1, chat
        assert "from channels" in chat[0] and "join users" in chat[0]
        # No second read of the senders: they come joined to their lines.
        assert [s for s in seen if s.startswith("select users.") and " in (" in s] == []
        html = response.get_data(as_text=True)
        # The newest page of 50, oldest first, each with its author.
        assert "line 5<" not in html and "line 6<" in html
        assert html.index("line 6<") < html.index("line 55<")
        assert "미나" in html and "준호" in html


def test_a_room_page_before_the_first_line_opens_the_chat_empty(app):
    mina, mina_id = person(app, "mina")
    with app.app_context():
        room_id = factories.room(mina_id)
    response = mina.get(f"/rooms/{room_id}")
    assert response.status_code == 200
    assert 'data-channel-id="' in response.get_data(as_text=True)
    assert say(mina, f"/rooms/{room_id}/messages", "first").headers["X-Chat-Seq"] == "1"


def test_a_chat_view_reads_the_viewers_restriction_and_blocks_in_one_statement(app, sql):
    mina, mina_id = person(app, "mina")
    junho, junho_id = person(app, "junho")
    sora, sora_id = person(app, "sora", "소라")
    with app.app_context():
        room_id = factories.room(mina_id, member_ids=[junho_id, sora_id])
    group = start_group(junho, "Crew", "sora")
    assert say(sora, f"/rooms/{room_id}/messages", "room hello").status_code == 201
    assert say(sora, f"/chats/{group}/messages", "group hello").status_code == 201
    assert post(junho, "/users/sora/block").status_code == 303
    timed_out = post(
        mina,
        f"/rooms/{room_id}/chat/timeout",
        {"user_id": str(junho_id), "minutes": "5", "reason": "spam"},
    )
    assert timed_out.status_code == 303
    room_paths = (f"/rooms/{room_id}", f"/rooms/{room_id}/messages")
    for path in (*room_paths, f"/chats/{group}"):
        with statements(sql) as seen:
            response = junho.get(path)
        assert response.status_code == 200, path
        restriction = [s for s in seen if "from bans" in s]
        assert len(restriction) == 1, (path, restriction)
        assert "from chat_timeouts" in restriction[0] and "from blocks" in restriction[0]
        blocks_alone = [s for s in seen if "from blocks" in s and "from rooms" not in s]
        assert blocks_alone == restriction, (path, blocks_alone)
        html = response.get_data(as_text=True)
        # Both answers still arrive: sora's line stays an empty slot, and the room's
        # timeout shows in its composer (a conversation is not under it).
        assert "chat-line-hidden" in html and "hello" not in html
        assert ('class="chat-restriction' in html) == (path in room_paths), path


def test_a_finished_rooms_results_read_their_score_counts_with_the_performances(app, sql):
    mina, mina_id = person(app, "mina")
    _junho, junho_id = person(app, "junho")
    _sora, sora_id = person(app, "sora")
    with app.app_context():
        room_id = factories.room(mina_id, member_ids=[junho_id, sora_id], status="finished")
        factories.finished_performance(room_id, mina_id, {junho_id: 8, sora_id: 6})
        factories.finished_performance(room_id, junho_id, {mina_id: 9})
        factories.finished_performance(room_id, sora_id, {})
    with statements(sql) as seen:
        page = mina.get(f"/rooms/{room_id}")
    assert page.status_code == 200
    # The counts ride in the closed performances' read; no statement counts them apart.
    closed = [s for s in seen if s.startswith("select performances.id, performances.performer_id")]
    assert len(closed) == 1 and "count(scores.id)" in closed[0], closed
    assert [s for s in seen if s.startswith("select scores.performance_id")] == []
    html = page.get_data(as_text=True)
    for name, average, count in (("junho", "9.00", 1), ("mina", "7.00", 2), ("sora", "", 0)):
        assert re.search(
            rf">{name}</th>\s*<td>{re.escape(average)}[^<]*</td>\s*<td>{count}</td>", html
        ), name


@pytest.mark.parametrize("status", ["lobby", "live"])
def test_a_room_page_reads_the_seats_once_and_marks_the_viewer_seen(app, sql, status):
    mina, mina_id = person(app, "mina")
    junho, junho_id = person(app, "junho")
    long_ago = utcnow() - timedelta(minutes=5)
    with app.app_context():
        room_id = factories.room(mina_id, member_ids=[junho_id])
    if status == "live":
        started = post(mina, f"/rooms/{room_id}/start", {"first_performer_id": str(mina_id)})
        assert started.status_code == 303
    with app.app_context():
        db.session.execute(update(RoomMember).values(last_seen_at=long_ago))
        db.session.commit()
    for path in (f"/rooms/{room_id}", f"/rooms/{room_id}/stage"):
        with statements(sql) as seen:
            assert junho.get(path).status_code == 200
        # The member list carries each seat's last page load: the viewer's own seat, and
        # (in a live room) who is here, need no read of their own.
        seats = [s for s in seen if s.startswith("select") and "from room_members" in s]
        assert len(seats) == 1, seats
    with app.app_context():
        seen_at = dict(
            db.session.execute(select(RoomMember.user_id, RoomMember.last_seen_at)).all()
        )
    # The first load marked the viewer seen; the second, seconds later, wrote nothing.
    assert seen_at[junho_id] > utcnow() - timedelta(seconds=30)
    assert seen_at[mina_id] == long_ago
    assert not [s for s in seen if s.startswith("update room_members")]


def test_the_signed_in_user_runs_prepared_and_loads_the_same_row(app, sql):
    with app.app_context():
        on_postgresql = db.engine.dialect.name == "postgresql"
    if not on_postgresql:
        pytest.skip("prepared statements are PostgreSQL's (SQLite runs them as they are)")
    mina, mina_id = person(app, "mina")
    assert mina.get("/rooms/").status_code == 200
    bodies = [body.lower() for body in sql.prepared.values()]
    assert any(b.startswith("select users.id") and "from notifications" in b for b in bodies)

    def loaded(prepared: bool) -> tuple[dict, badges.Badges, int]:
        app.config["DB_PREPARED_STATEMENTS"] = prepared
        with app.test_request_context("/rooms/"):
            key = f"{mina_id}:{db.session.get(User, mina_id).session_token}"
            db.session.expunge_all()  # load from the row, not the identity map
            executed = sql.executed
            user = load_user(key)
            row = {c.key: getattr(user, c.key) for c in inspect(User).column_attrs}
            return row, badges.counts(mina_id), sql.executed - executed

    prepared_row, prepared_badges, prepared_runs = loaded(True)
    plain_row, plain_badges, plain_runs = loaded(False)
    assert (prepared_runs, plain_runs) == (1, 0)  # configured off (PgBouncer): plain text
    assert prepared_row == plain_row and prepared_row["username"] == "mina"
    assert prepared_badges == plain_badges
