"""On PostgreSQL a transaction begins at a connection's first write, not its first read.

psycopg2 sends BEGIN as a round trip of its own before a connection's first statement, and
the pool sends ROLLBACK when a request gives the connection back: two round trips that a
page, which only reads, paid for nothing. Under READ COMMITTED each statement inside a
transaction reads its own snapshot anyway, so a read outside one sees exactly what it
would have seen inside.

Every pooled connection therefore makes its cursors from `FirstWriteCursor`: while no
transaction is open, a plain read runs with psycopg2's autocommit on, and the first
statement that needs a transaction turns it off, so psycopg2 sends BEGIN before it. From
there the transaction lasts until the session commits or rolls back, and the reads after
the write run inside it: a service's write stays one transaction.

A write that is whole in one statement, and whose caller knows nothing else will join it
(the chat post: app/services/chat/persist.py), is prepared under a name that says so, and
runs with autocommit too: PostgreSQL runs one statement all or nothing, so BEGIN and COMMIT
would be two more round trips for the same guarantee. The check is a method
of the cursor rather than an engine event: SQLAlchemy's dispatch of a per-statement event
cost a page more instructions than the check itself.
"""

from __future__ import annotations

import re
from functools import lru_cache

from psycopg2.extensions import STATUS_READY, cursor

# A prepared statement (app/prepared.py) whose name starts so only reads: its EXECUTE
# needs no transaction.
READ_ONLY_PREPARED = "encore_read_"
# One whose name starts so writes, but is a whole write on its own: one statement is all or
# nothing in PostgreSQL, so with no transaction open it runs without BEGIN and COMMIT.
SELF_CONTAINED_PREPARED = "encore_whole_"
_READ = re.compile(
    r"\s*(?:(?:SELECT|SHOW|PREPARE|DEALLOCATE)\b"
    rf"|EXECUTE (?:{READ_ONLY_PREPARED}|{SELF_CONTAINED_PREPARED}))",
    re.I,
)
_LOCKING_READ = re.compile(r"\bFOR\s+(NO\s+KEY\s+UPDATE|UPDATE|KEY\s+SHARE|SHARE)\b", re.I)


@lru_cache(maxsize=4096)
def needs_transaction(statement: str) -> bool:
    """Tell whether `statement` must run inside a transaction: anything but a plain read
    or a self-contained prepared write.

    Writes, DDL, CTEs, SAVEPOINT and SET LOCAL do, and so does a read that locks rows (`FOR
    UPDATE`, `FOR SHARE`): its locks must last until the commit. Statements are the
    compiled strings SQLAlchemy caches, so each is looked at once.
    """
    return not _READ.match(statement) or bool(_LOCKING_READ.search(statement))


class FirstWriteCursor(cursor):
    """A psycopg2 cursor that opens the transaction at the first statement needing one."""

    def execute(self, query, vars=None):
        connection = self.connection
        if connection.status == STATUS_READY:  # no transaction open: this one may start it
            # A server-side cursor (`stream_results`) keeps its rows only in a transaction.
            autocommit = (
                self.name is None and isinstance(query, str) and not needs_transaction(query)
            )
            if connection.autocommit != autocommit:
                connection.autocommit = autocommit
        return super().execute(query, vars)

    def executemany(self, query, vars_list):
        """Many rows are a write: they run in one transaction."""
        connection = self.connection
        if connection.status == STATUS_READY and connection.autocommit:
            connection.autocommit = False
        return super().executemany(query, vars_list)


def use_first_write_cursors(dbapi_connection, _connection_record) -> None:
    """A pool `connect` listener: give a new connection `FirstWriteCursor`s."""
    dbapi_connection.cursor_factory = FirstWriteCursor
