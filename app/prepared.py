"""Hot statements run as PostgreSQL prepared statements: planned once per connection.

psycopg2 sends every statement as text, so PostgreSQL plans it on every execution. For
the chat post's numbering UPDATE (the seat, the sanctions, panic mode and slow mode: a
dozen subqueries) planning took longer than running it: about 0.5 ms of the database's
CPU on every post. Prepared on each pooled connection the first time it is used, the
statement is planned once there and then only executed.

The same holds for the signed-in user's statement that every full page runs (the user and
the navigation badges: 0.17 ms planning against 0.04 ms running on 100k users, warm), so
a SELECT of a mapped class runs prepared too (`execute_prepared_entity`), its rows
carrying the loaded objects as `session.execute` would.

The statement is still built with SQLAlchemy, once, as the services build the rest: this
module compiles it for PostgreSQL, turns its named parameters into `$n` with declared
types, and runs `EXECUTE` through SQLAlchemy, so parameters and results are converted by
the same column types as a plain execution. Elsewhere (SQLite) it runs as it is.

Prepared statements live as long as their connection; SQLAlchemy clears a connection's
`info` when it replaces one, so a new connection prepares again. A pooler that passes a
server connection to another client between transactions (PgBouncer in transaction mode)
does not keep them: set ENCORE_DB_PREPARED=0 there, and statements run as plain text.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cache

from flask import current_app
from sqlalchemy import Select, bindparam, column, select, text
from sqlalchemy.engine import Connection, CursorResult, Dialect, Result
from sqlalchemy.sql.elements import ColumnClause
from sqlalchemy.sql.expression import Executable

from app.database import execute_built
from app.extensions import db
from app.first_write import READ_ONLY_PREPARED, SELF_CONTAINED_PREPARED, needs_transaction

_PLACEHOLDER = re.compile(r"%%|%\((\w+)\)s")
_INFO_KEY = "encore_prepared"


@dataclass(frozen=True)
class Prepared:
    """One statement as PostgreSQL prepares it, and the EXECUTE that runs it."""

    name: str
    prepare_sql: str
    execute: object  # a TextualSelect: `EXECUTE name(:p0, …)` with typed binds and columns
    # For each `$n`, the caller's parameter name, or None and the statement's own value.
    sources: tuple[tuple[str | None, object], ...]


@cache
def _prepared(statement: Executable, dialect: Dialect) -> Prepared:
    """Compile `statement` once for PostgreSQL and derive its PREPARE and EXECUTE."""
    compiled = statement.compile(dialect=dialect)
    order: list[str] = []

    def numbered(match: re.Match) -> str:
        name = match.group(1)
        if name is None:
            return "%"  # an escaped percent sign: PREPARE is sent without parameters
        if name not in order:
            order.append(name)
        return f"${order.index(name) + 1}"

    body = _PLACEHOLDER.sub(numbered, compiled.string)
    binds = [compiled.binds[name] for name in order]
    types = ", ".join(bind.type.compile(dialect=dialect) for bind in binds)
    # A plain read's EXECUTE runs outside a transaction, as the read would (app/first_write.py);
    # so does a write its builder marked self-contained (`self_contained`). Any other
    # write needs one: a SELECT over a CTE that writes starts with WITH, so it is seen as one.
    if statement.get_execution_options().get("encore_self_contained"):
        prefix = SELF_CONTAINED_PREPARED
    else:
        prefix = "encore_write_" if needs_transaction(body) else READ_ONLY_PREPARED
    name = prefix + hashlib.sha256(body.encode()).hexdigest()[:16]
    execute = (
        text(f"EXECUTE {name}(" + ", ".join(f":p{i}" for i in range(len(binds))) + ")")
        .bindparams(*(bindparam(f"p{i}", type_=bind.type) for i, bind in enumerate(binds)))
        .columns(*(_result_column(i, c) for i, c in enumerate(statement.exported_columns)))
    )
    # A bind the caller names is a parameter; the rest (literals the builder bound, such as
    # a channel kind) keep the value they were built with.
    sources = tuple(
        (name, None) if bind.required else (None, bind.effective_value)
        for name, bind in zip(order, binds, strict=True)
    )
    return Prepared(name, f"PREPARE {name} ({types}) AS {body}", execute, sources)


def _result_column(position: int, returned) -> ColumnClause:
    """A typed result column for EXECUTE; unnamed expressions are named by position."""
    name = returned.key if isinstance(returned.key, str) and returned.key.isidentifier() else ""
    return column(name or f"c{position}", returned.type)


def self_contained(statement: Executable) -> Executable:
    """Mark a write as whole in itself, for a caller that runs it alone: prepared, it then
    runs without a transaction around it when none is open (app/first_write.py).

    Only for a statement that leaves nothing half done when it stores nothing: PostgreSQL
    undoes a failed statement as a whole, but not a success the caller would want undone.
    """
    return statement.execution_options(encore_self_contained=True)


def prepared_statements_on() -> bool:
    """Tell whether statements run prepared here: PostgreSQL, unless configured off."""
    return db.engine.dialect.name == "postgresql" and current_app.config.get(
        "DB_PREPARED_STATEMENTS", True
    )


def execute_prepared(statement: Executable, params: dict) -> CursorResult:
    """Run a statement built once (see `execute_built`), prepared on PostgreSQL.

    `params` names the statement's bind parameters, as for `execute_built`.
    """
    if not prepared_statements_on():
        return execute_built(statement, params)
    connection, prepared, values = _prepared_on_connection(statement, params)
    return connection.execute(prepared.execute, values)


def execute_prepared_entity(statement: Select, params: dict) -> Result:
    """Run a SELECT of one mapped class (plain columns may follow), prepared on PostgreSQL.

    Each row's first value is the loaded object, in the session's identity map, as
    `db.session.execute(statement, params)` gives it; elsewhere it runs just so. Build
    `statement` once, as for `execute_prepared`.
    """
    if not prepared_statements_on():
        return db.session.execute(statement, params)
    connection, _prepared_form, values = _prepared_on_connection(statement, params)
    return db.session.execute(_entity_form(statement, connection.dialect), values)


def _prepared_on_connection(
    statement: Executable, params: dict
) -> tuple[Connection, Prepared, dict]:
    """Prepare `statement` on the session's connection (once per connection); return the
    connection, the prepared form and the EXECUTE's parameter values."""
    connection = db.session.connection()
    prepared = _prepared(statement, connection.dialect)
    done = connection.info.setdefault(_INFO_KEY, set())
    if prepared.name not in done:
        connection.exec_driver_sql(prepared.prepare_sql)
        done.add(prepared.name)
    values = {
        f"p{i}": params[name] if name is not None else value
        for i, (name, value) in enumerate(prepared.sources)
    }
    return connection, prepared, values


@cache
def _entity_form(statement: Select, dialect: Dialect) -> Select:
    """The ORM SELECT that loads `statement`'s class from the rows of its EXECUTE.

    The class's columns lead the EXECUTE's result columns, named as the class maps them;
    whatever follows them (the badge counts, say) is handed back as plain values.
    """
    execute = _prepared(statement, dialect).execute
    entity = statement.column_descriptions[0]["entity"]
    width = len(select(entity).selected_columns)
    return select(entity, *execute.selected_columns[width:]).from_statement(execute)
