"""The SQL a chat post costs, counted on the real engine (SQLite here, PostgreSQL with
TEST_DATABASE_URL). A change that adds a statement to the post path fails here: if the new
statement is worth it, raise the number and say why in the commit.
"""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from sqlalchemy import event

from app.extensions import db
from tests.support.web import HTMX, csrf_token
from tests.web.chat_helpers import client_id, person, room_with, say, start_group

# Loading the signed-in user, then the post itself (see app/services/chat/post.py): the
# UPDATE … RETURNING checks the seat and numbers the line, the INSERT stores it. A
# conversation also moves the sender's read mark and selects the present members' ids for
# the one `inbox` emit (nothing is counted per member). SQLite sends its transaction
# control as statements, and must end the read snapshot before BEGIN IMMEDIATE, which
# expires the loaded user: rendering the line loads the sender again.
ROOM_POST = {
    "postgresql": ["SELECT", "UPDATE", "INSERT"],
    "sqlite": ["BEGIN", "SELECT", "BEGIN", "UPDATE", "INSERT", "SELECT"],
}
CONVERSATION_POST = {
    "postgresql": ["SELECT", "UPDATE", "INSERT", "UPDATE", "SELECT"],
    "sqlite": ["BEGIN", "SELECT", "BEGIN", "UPDATE", "INSERT", "UPDATE", "SELECT", "SELECT"],
}


@contextmanager
def statements(app):
    """Collect the first word of every statement the app's engine sends."""
    seen: list[str] = []
    with app.app_context():
        engine = db.engine

    def record(_conn, _cursor, statement, _params, _context, _many) -> None:
        seen.append(statement.split(None, 1)[0].upper())

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _post_counted(app, client, url: str, body: str) -> tuple[int, list[str]]:
    """POST one line as the composer does; return its status and the statements it sent."""
    token = csrf_token(client)
    with statements(app) as seen:
        response = client.post(
            url,
            data={"body": body, "client_id": client_id()},
            headers={**HTMX, "X-CSRFToken": token},
        )
    # COMMIT and ROLLBACK go through the driver, not a cursor; count them out explicitly.
    return response.status_code, [s for s in seen if s not in ("COMMIT", "ROLLBACK")]


def _dialect(app) -> str:
    with app.app_context():
        return db.engine.dialect.name


@pytest.fixture
def room_post(app):
    """Two members of a room whose chat already has a line (the channel exists)."""
    mina, mina_id = person(app, "mina")
    _junho, junho_id = person(app, "junho")
    room_id = room_with(app, mina_id, junho_id)
    assert say(mina, f"/rooms/{room_id}/messages", "first").status_code == 201
    return mina, f"/rooms/{room_id}/messages"


def test_a_room_post_costs_three_statements(app, room_post):
    mina, url = room_post
    status, seen = _post_counted(app, mina, url, "one more line")
    assert status == 201
    assert seen == ROOM_POST[_dialect(app)]


def test_a_conversation_post_to_ten_costs_five_statements(app):
    mina, _ = person(app, "mina")
    names = [f"member{n}" for n in range(9)]
    for name in names:
        person(app, name)
    group = start_group(mina, "Ten of us", " ".join(names))
    url = f"/chats/{group}/messages"
    assert say(mina, url, "first").status_code == 201
    status, seen = _post_counted(app, mina, url, "second")
    assert status == 201
    assert seen == CONVERSATION_POST[_dialect(app)]
