"""Database engine behaviour that the models and services rely on."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import lru_cache

from psycopg2.extensions import STATUS_READY
from sqlalchemy import event
from sqlalchemy.engine import CursorResult, Engine
from sqlalchemy.sql.expression import Executable

from app.extensions import db


def utcnow() -> datetime:
    """Return the current time as a timezone-aware UTC datetime."""
    return datetime.now(UTC)


def is_sqlite() -> bool:
    """Tell whether the bound database is SQLite (the embedded mode)."""
    return db.engine.dialect.name == "sqlite"


# A prepared statement (app/prepared.py) whose name starts so only reads: its EXECUTE
# needs no transaction.
READ_ONLY_PREPARED = "encore_read_"
_READ = re.compile(
    rf"\s*(?:(?:SELECT|SHOW|PREPARE|DEALLOCATE)\b|EXECUTE {READ_ONLY_PREPARED})", re.I
)
_LOCKING_READ = re.compile(r"\bFOR\s+(NO\s+KEY\s+UPDATE|UPDATE|KEY\s+SHARE|SHARE)\b", re.I)


@lru_cache(maxsize=4096)
def needs_transaction(statement: str) -> bool:
    """Tell whether `statement` must run inside a transaction: anything but a plain read.

    Writes, DDL, SAVEPOINT and SET LOCAL do, and so does a read that locks rows (`FOR
    UPDATE`, `FOR SHARE`): its locks must last until the commit. Statements are the
    compiled strings SQLAlchemy caches, so each is looked at once.
    """
    return not _READ.match(statement) or bool(_LOCKING_READ.search(statement))


def begin_at_first_write(_conn, cursor, statement: str, *_args) -> None:
    """Run reads without a transaction; open one (psycopg2's BEGIN) at the first write.

    psycopg2 sends BEGIN as a round trip of its own before a connection's first statement,
    and the pool sends ROLLBACK when the request gives the connection back: two of a page's
    round trips, and two of a post's six, bought nothing. Under READ COMMITTED each
    statement reads its own snapshot inside a transaction too, so a read outside one sees
    exactly what it would have seen inside. Only while no transaction is open does the
    connection switch: a write's transaction lasts until the session commits or rolls back,
    and the reads after its first write run inside it. A server-side cursor (`stream_results`)
    always gets one: PostgreSQL keeps its rows only inside a transaction.
    """
    connection = cursor.connection
    if connection.status != STATUS_READY:
        return  # a transaction is open: the statement belongs to it
    autocommit = cursor.name is None and not needs_transaction(statement)
    if connection.autocommit != autocommit:
        connection.autocommit = autocommit


def configure_engine(engine: Engine) -> None:
    """Make SQLite behave like a server database: WAL, busy timeout, foreign keys, real BEGIN.

    On PostgreSQL, reads outside a write run without a transaction (`begin_at_first_write`).
    """
    if engine.dialect.name == "postgresql":
        event.listen(engine, "before_cursor_execute", begin_at_first_write)
        return
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        # Let SQLAlchemy, not pysqlite, decide when a transaction begins, so that
        # begin_write() can ask for BEGIN IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=15000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:
        if connection.get_execution_options().get("sqlite_immediate"):
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.exec_driver_sql("BEGIN")


def begin_write() -> None:
    """Start a write transaction that serialises against other writers.

    On SQLite this is BEGIN IMMEDIATE, taken before any read so a stale snapshot can never
    meet a concurrent writer. On PostgreSQL it is a plain transaction: services use
    conditional UPDATEs or row locks there.
    """
    session = db.session()  # the request's real Session, not the scoped proxy
    if session.in_transaction():
        # Close the read snapshot the request opened (loading current_user, say), and make
        # what the write reads fresh. On PostgreSQL the reads ran without a transaction
        # (configure_engine), so this sends nothing to the database.
        session.commit()
    if is_sqlite():
        session.connection(execution_options={"sqlite_immediate": True})


def execute_built(statement: Executable, params: dict) -> CursorResult:
    """Run a statement built once (at import, or cached per shape) on the session's connection.

    SQLAlchemy keys its compiled-statement cache on the statement's structure, and works
    that key out once per statement object. Run through the ORM session, an UPDATE is
    copied (annotated) on every execution, so the key is worked out again each time: for
    the post's numbering UPDATE, a dozen subqueries, that cost more CPU than PostgreSQL
    spent running it. On the session's connection the same object is reused, in the same
    transaction, without the session's autoflush. Use it for statements that return plain
    rows, not ORM objects.
    """
    return db.session.connection().execute(statement, params)
