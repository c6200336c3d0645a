"""The SQL an app's engine sends, with prepared statements read as the SQL they run.

On PostgreSQL the hot statements are prepared once per pooled connection (app/prepared.py)
and then sent as `EXECUTE name(…)`; which request prepares one depends on which connection
it is handed. A test that reads or counts statements wants what ran, whichever connection
ran it: `StatementLog` remembers every PREPARE from the moment it is made (make it before
the test's first request) and reports an EXECUTE as the statement it runs, and the PREPARE
itself not at all.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event

from app.extensions import db

PREPARE = re.compile(r"PREPARE (\w+) \(.*?\) AS (.*)", re.S)
EXECUTE = re.compile(r"EXECUTE (\w+)\(")


class StatementLog:
    """Listens to one app's engine until `close()` (or the end of a `with` block);
    `during()` collects a block's SQL."""

    def __init__(self, app) -> None:
        with app.app_context():
            self.engine = db.engine
        self.prepared: dict[str, str] = {}
        self.executed = 0  # how many statements ran prepared (EXECUTE)
        self._open: list[list[str]] = []
        event.listen(self.engine, "before_cursor_execute", self._record)

    def close(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self._record)

    def __enter__(self) -> StatementLog:
        return self

    def __exit__(self, *_exc) -> None:
        self.close()

    def _record(self, _conn, _cursor, statement: str, *_args) -> None:
        prepare = PREPARE.match(statement)
        if prepare:
            self.prepared[prepare.group(1)] = prepare.group(2)
            return
        execute = EXECUTE.match(statement)
        if execute:
            self.executed += 1
            statement = self.prepared.get(execute.group(1), statement)
        for seen in self._open:
            seen.append(statement)

    @contextmanager
    def during(self) -> Iterator[list[str]]:
        """Collect every statement sent inside the block, in order."""
        seen: list[str] = []
        self._open.append(seen)
        try:
            yield seen
        finally:
            self._open.remove(seen)
