"""The SQL a chat post costs, counted on the real engine (SQLite here, PostgreSQL with
TEST_DATABASE_URL). A change that adds a statement to the post path fails here: if the new
statement is worth it, raise the number and say why in the commit.
"""

from __future__ import annotations

import re
from contextlib import contextmanager

import pytest
from sqlalchemy import event, text

from app.extensions import db
from tests.support.statements import PREPARE
from tests.support.web import HTMX, csrf_token
from tests.web.chat_helpers import client_id, person, room_with, say, start_group

# The post is its own sign-in check (see app/services/chat/post.py): no statement loads the
# signed-in user before it. On PostgreSQL the session-token check, the numbering UPDATE, the
# INSERT and the poster's row are one statement (WITH numbered AS (UPDATE …) INSERT …),
# prepared on each connection (app/prepared.py) and sent as EXECUTE; a conversation's
# statement also moves the sender's read mark and returns the present members' ids for the
# one `inbox` emit (nothing is counted per member). SQLite sends its transaction control
# as statements: BEGIN IMMEDIATE, then the user (checked against the session's token), the
# UPDATE … RETURNING that checks the seat and numbers the line, and the INSERT; a
# conversation's read mark and present members are statements of their own there.
ROOM_POST = {
    "postgresql": ["EXECUTE UPDATE+INSERT"],
    "sqlite": ["BEGIN", "SELECT", "UPDATE", "INSERT"],
}
CONVERSATION_POST = {
    "postgresql": ["EXECUTE UPDATE+UPDATE+INSERT"],
    "sqlite": ["BEGIN", "SELECT", "UPDATE", "INSERT", "UPDATE", "SELECT"],
}


@pytest.fixture(autouse=True)
def prepared_verbs(app):
    """Remember what each prepared statement does, from every PREPARE the engine sends."""
    verbs: dict[str, str] = {}
    with app.app_context():
        engine = db.engine

    def record(_conn, _cursor, statement, _params, _context, _many) -> None:
        match = PREPARE.match(statement)
        if match:
            verb = match.group(2).split(None, 1)[0].upper()
            if verb == "WITH":  # name it by what its parts write: "UPDATE+INSERT"
                verb = "+".join(re.findall(r"\((UPDATE|INSERT|DELETE) ", statement))
            verbs[match.group(1)] = verb

    event.listen(engine, "before_cursor_execute", record)
    yield verbs
    event.remove(engine, "before_cursor_execute", record)


@contextmanager
def statements(app, verbs: dict[str, str] | None = None):
    """Collect the first word of every statement the app's engine sends.

    An EXECUTE is named with the verb of the statement it runs ("EXECUTE UPDATE").
    """
    seen: list[str] = []
    with app.app_context():
        engine = db.engine

    def record(_conn, _cursor, statement, _params, _context, _many) -> None:
        words = statement.split(None, 2)
        if words[0].upper() == "EXECUTE" and verbs is not None:
            name = words[1].split("(", 1)[0]
            seen.append(f"EXECUTE {verbs.get(name, '?')}")
        else:
            seen.append(words[0].upper())

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _post_counted(app, client, url: str, body: str, verbs=None) -> tuple[int, list[str]]:
    """POST one line as the composer does; return its status and the statements it sent."""
    token = csrf_token(client)
    with statements(app, verbs) as seen:
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


def test_a_room_post_costs_one_statement(app, room_post, prepared_verbs):
    mina, url = room_post
    status, seen = _post_counted(app, mina, url, "one more line", prepared_verbs)
    assert status == 201
    assert seen == ROOM_POST[_dialect(app)]


def test_a_conversation_post_to_ten_costs_one_statement(app, prepared_verbs):
    mina, _ = person(app, "mina")
    names = [f"member{n}" for n in range(9)]
    for name in names:
        person(app, name)
    group = start_group(mina, "Ten of us", " ".join(names))
    url = f"/chats/{group}/messages"
    assert say(mina, url, "first").status_code == 201
    status, seen = _post_counted(app, mina, url, "second", prepared_verbs)
    assert status == 201
    assert seen == CONVERSATION_POST[_dialect(app)]


def test_a_connection_prepares_the_post_once_and_a_new_one_prepares_again(app, room_post):
    if _dialect(app) != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's (SQLite runs them as they are)")
    mina, url = room_post
    with app.app_context():
        db.engine.dispose()  # the next post runs on a connection that has prepared nothing
    status, first = _post_counted(app, mina, url, "on a new connection")
    assert status == 201
    assert first.count("PREPARE") == 1
    status, second = _post_counted(app, mina, url, "on the same connection")
    assert status == 201
    assert "PREPARE" not in second and second.count("EXECUTE") == 1
    with app.app_context():
        lines = db.session.execute(
            text("SELECT seq, body FROM messages ORDER BY seq DESC LIMIT 3")
        ).all()
    assert [body for _seq, body in lines] == [
        "on the same connection",
        "on a new connection",
        "first",
    ]
    assert [seq for seq, _body in lines] == [3, 2, 1]


def test_without_prepared_statements_the_post_sends_them_as_text(app, room_post, prepared_verbs):
    if _dialect(app) != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's (SQLite runs them as they are)")
    app.config["DB_PREPARED_STATEMENTS"] = False  # ENCORE_DB_PREPARED=0, behind PgBouncer
    mina, url = room_post
    status, seen = _post_counted(app, mina, url, "as plain text", prepared_verbs)
    assert status == 201
    assert seen == ["SELECT", "UPDATE", "INSERT"]
