"""Database engine behaviour that the models and services rely on."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TypeVar

from sqlalchemy import event
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.engine import CursorResult, Engine
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.sql.expression import Executable

from app.extensions import db
from app.first_write import use_first_write_cursors

ModelT = TypeVar("ModelT")


def utcnow() -> datetime:
    """Return the current time as a timezone-aware UTC datetime."""
    return datetime.now(UTC)


def is_sqlite() -> bool:
    """Tell whether the bound database is SQLite (the embedded mode)."""
    return db.engine.dialect.name == "sqlite"


def configure_engine(engine: Engine) -> None:
    """Make SQLite behave like a server database: WAL, busy timeout, foreign keys, real BEGIN.

    On PostgreSQL a transaction begins at the first write (app/first_write.py).
    """
    if engine.dialect.name == "postgresql":
        event.listen(engine, "connect", use_first_write_cursors)
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
        # (app/first_write.py), so this sends nothing to the database.
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


def as_loaded(cls: type[ModelT], fields: dict) -> ModelT:
    """The object of mapped class `cls` that `fields` (columns by attribute name; one left
    out is read when first used) describe, in the session as if a query had just loaded
    it: no SELECT, no history.

    For rows a write's own statement returned (a chat post's line and its poster): an ORM
    load of such a row through the session cost more than the SELECT it saves. The
    session's own copy wins when it holds one already.
    """
    mapper = sa_inspect(cls)
    key = mapper.identity_key_from_primary_key(
        [fields[mapper.get_property_by_column(column).key] for column in mapper.primary_key]
    )
    loaded = db.session.identity_map.get(key)
    if loaded is not None:
        return loaded
    # Filled as the ORM's loader fills a row: straight into the instance's dict, without
    # the constructor's attribute events (a twentieth of a post, profiled, for the poster).
    instance = mapper.class_manager.new_instance()
    instance.__dict__.update(fields)
    make_transient_to_detached(instance)
    db.session.add(instance)
    return instance
