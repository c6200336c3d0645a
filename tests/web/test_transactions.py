"""On PostgreSQL a transaction begins at the first write (app/first_write.py).

Each statement's transaction state is read from libpq after the statement ran: the state
the server reported with its answer. A page's reads must report no transaction (so no
BEGIN went before them and no ROLLBACK follows); a write, a locking read and everything
after a write must run inside one, and a failed write must leave nothing behind.
"""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from psycopg2.extensions import TRANSACTION_STATUS_IDLE, TRANSACTION_STATUS_INTRANS
from sqlalchemy import event, select, text
from sqlalchemy.exc import IntegrityError, OperationalError

from app.extensions import db
from app.first_write import needs_transaction
from app.models import Room, User
from tests.support.web import HTMX, csrf_token
from tests.web.chat_helpers import client_id, person, room_with, say, start_direct


@pytest.fixture
def pg(app):
    """The app, on PostgreSQL only: SQLite sends its own BEGIN and has no round trip to save."""
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("SQLite sends its own BEGIN; this is PostgreSQL's round trip")
    return app


@contextmanager
def transaction_states(app):
    """Collect (first word, in a transaction?) for every statement the engine sends."""
    seen: list[tuple[str, bool]] = []
    with app.app_context():
        engine = db.engine

    def record(_conn, cursor, statement, _params, _context, _many) -> None:
        status = cursor.connection.info.transaction_status
        assert status in (TRANSACTION_STATUS_IDLE, TRANSACTION_STATUS_INTRANS)
        seen.append((statement.split(None, 1)[0].upper(), status == TRANSACTION_STATUS_INTRANS))

    event.listen(engine, "after_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "after_cursor_execute", record)


def _room(app) -> tuple[object, str]:
    mina, mina_id = person(app, "mina")
    _junho, junho_id = person(app, "junho")
    room_id = room_with(app, mina_id, junho_id)
    return mina, f"/rooms/{room_id}"


@pytest.mark.parametrize("path", ["/", "/rooms/", "{room}", "{room}/stage", "/users/mina"])
def test_a_page_reads_without_opening_a_transaction(pg, path):
    mina, room = _room(pg)
    # A room's first visit writes (its chat channel, the visitor's attendance); the ones
    # after it only read.
    assert mina.get(path.format(room=room)).status_code == 200
    with transaction_states(pg) as seen:
        response = mina.get(path.format(room=room))
    assert response.status_code == 200
    assert seen, "the page read nothing"
    assert [word for word, in_transaction in seen if in_transaction] == []


def _poster(client):
    """Post lines as `client`, with the CSRF token read beforehand (a page of its own)."""
    token = csrf_token(client)

    def post_line(url: str, body: str, cid: str | None = None):
        data = {"body": body, "client_id": cid or client_id()}
        return client.post(url, data=data, headers={**HTMX, "X-CSRFToken": token})

    return post_line


def _lines(app) -> tuple[list[tuple[int, str]], list[int]]:
    """Every stored line as (seq, body), and every channel's last number, read afresh."""
    with app.app_context():
        lines = db.session.execute(text("SELECT seq, body FROM messages ORDER BY seq")).all()
        last = db.session.scalars(text("SELECT last_seq FROM channels")).all()
    return [tuple(line) for line in lines], list(last)


def test_a_post_is_one_statement_with_no_transaction_around_it(pg):
    app = pg
    mina, room = _room(app)
    url = f"{room}/messages"
    assert say(mina, url, "first").status_code == 201  # the channel exists from here on
    post_line = _poster(mina)
    with transaction_states(app) as seen:
        response = post_line(url, "second")
    assert response.status_code == 201
    # The one statement that checks the session, numbers and stores the line (no statement
    # loads the signed-in user first): not inside a transaction, so no BEGIN went before
    # and no COMMIT after.
    assert [state for state in seen if state[0] != "PREPARE"] == [("EXECUTE", False)]
    assert _lines(app) == ([(1, "first"), (2, "second")], [2])  # committed


def test_a_conversation_post_writes_its_line_and_read_mark_outside_a_transaction(pg):
    app = pg
    mina, _mina_id = person(app, "mina")
    person(app, "junho")
    channel_id = start_direct(mina, "junho")
    post_line = _poster(mina)
    with transaction_states(app) as seen:
        assert post_line(f"/chats/{channel_id}/messages", "hi").status_code == 201
    assert [word for word, in_transaction in seen if in_transaction] == []
    assert ("EXECUTE", False) in seen
    with app.app_context():
        marks = db.session.execute(text("SELECT last_read_seq FROM channel_members")).all()
    assert _lines(app) == ([(1, "hi")], [1])
    assert sorted(mark for (mark,) in marks) == [0, 1]  # the sender has read their own line


def test_a_retried_post_falls_back_to_a_transaction_and_leaves_no_gap(pg):
    app = pg
    mina, room = _room(app)
    url = f"{room}/messages"
    cid = client_id()
    post_line = _poster(mina)
    assert post_line(url, "once", cid).status_code == 201
    with transaction_states(app) as seen:
        retried = post_line(url, "once", cid)
    assert retried.status_code == 200 and retried.headers["X-Chat-Seq"] == "1"
    # The one statement failed on the stored client id and left nothing; the numbering
    # that followed ran in a transaction, and its rollback gave the number back.
    assert ("EXECUTE", True) in seen
    assert post_line(url, "twice").status_code == 201
    assert _lines(app) == ([(1, "once"), (2, "twice")], [2])


def test_a_write_through_begin_write_reads_outside_and_writes_in_one_transaction(pg):
    app = pg
    mina, _mina_id = person(app, "mina")
    _junho, junho_id = person(app, "junho")
    token = csrf_token(mina)
    with transaction_states(app) as seen:
        assert mina.post("/users/junho/block", headers={"X-CSRFToken": token}).status_code == 303
    # begin_write() ends the read phase with a commit that now sends nothing: the user is
    # read outside, and the block's statements run in the one transaction after it.
    assert seen[0] == ("SELECT", False)
    writes = [word for word, in_transaction in seen if word in ("INSERT", "DELETE", "UPDATE")]
    assert writes and all(
        in_transaction for word, in_transaction in seen if word in ("INSERT", "DELETE", "UPDATE")
    )
    with app.app_context():
        blocked = db.session.scalar(text("SELECT blocked_id FROM blocks"))
    assert blocked == junho_id


def test_a_locking_read_opens_the_transaction_and_keeps_its_lock(pg):
    app = pg
    _mina, room = _room(app)
    room_id = int(room.rsplit("/", 1)[1])
    with app.app_context(), transaction_states(app) as seen:
        db.session.execute(select(Room.id).where(Room.id == room_id).with_for_update())
        # Another connection cannot take the row while this transaction holds it.
        with db.engine.connect() as other:
            other.execute(text("SET lock_timeout = '100ms'"))
            locked = text("SELECT id FROM rooms WHERE id = :id FOR UPDATE")
            with pytest.raises(OperationalError, match="lock timeout"):
                other.execute(locked, {"id": room_id})
        db.session.rollback()
    assert seen[0] == ("SELECT", True)


def test_a_failed_write_leaves_nothing_behind(pg):
    app = pg
    _mina, mina_id = person(app, "mina", "Mina")
    with app.app_context(), transaction_states(app) as seen:
        db.session.execute(text("SELECT 1"))
        db.session.execute(
            text("UPDATE users SET display_name = 'changed' WHERE id = :id"), {"id": mina_id}
        )
        db.session.execute(text("SELECT display_name FROM users WHERE id = :id"), {"id": mina_id})
        with pytest.raises(IntegrityError):
            db.session.execute(text("INSERT INTO users (id) VALUES (NULL)"))
        db.session.rollback()
        name = db.session.scalar(select(User.display_name).where(User.id == mina_id))
    assert name == "Mina"
    # The read before the write ran outside; the write and the read after it inside.
    assert seen[:3] == [("SELECT", False), ("UPDATE", True), ("SELECT", True)]


@pytest.mark.parametrize(
    ("statement", "needs"),
    [
        ("SELECT users.id FROM users WHERE users.id = %(id)s", False),
        ("  select 1", False),
        ("EXECUTE encore_read_0123abcd(%(p0)s)", False),
        ("EXECUTE encore_whole_0123abcd(%(p0)s)", False),
        ("PREPARE encore_write_0123abcd (INTEGER) AS UPDATE channels SET seq = seq + 1", False),
        ("SELECT rooms.id FROM rooms WHERE rooms.id = %(id)s FOR UPDATE", True),
        ("SELECT rooms.id FROM rooms FOR NO KEY UPDATE", True),
        ("SELECT 1 FROM rooms FOR SHARE", True),
        ("EXECUTE encore_write_0123abcd(%(p0)s)", True),
        ("UPDATE users SET locale = %(locale)s", True),
        ("INSERT INTO follows (follower_id) VALUES (%(id)s)", True),
        ("DELETE FROM follows", True),
        ("WITH numbered AS (UPDATE channels SET seq = seq + 1) INSERT INTO messages", True),
        ("SAVEPOINT sa_savepoint_1", True),
        ("SET LOCAL statement_timeout = 50", True),
        ("SELECTED", True),
    ],
)
def test_which_statements_need_a_transaction(statement, needs):
    assert needs_transaction(statement) is needs
