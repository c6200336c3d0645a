"""The flood step of a post: at most CHAT_FLOOD_LINES per CHAT_FLOOD_SECONDS in one room or
conversation, and not the same line twice within CHAT_REPEAT_SECONDS (all three in
app/config.py).

The window is a row of `chat_floods` (app/models/chat.py), kept by the write that stores the
line: after the channel's row lock, so every process counts the same lines and concurrent
posts count exactly, and with no round trip of its own. On PostgreSQL the post's one
statement carries it (`flood_upsert`); a line that would break the rule sets `over_rule`,
whose CHECK fails the whole statement, number and line included, and the post takes the
general path, which says why. There, and on SQLite, `keep_window` reads the row and writes
it back inside the post's transaction, the channel's lock still held.

A retried post is never a new line: its client id is stored already, so its INSERT fails
before this step runs (chat/persist.py).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import Double, Integer, String, bindparam, false, func, literal_column, select
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.dialects.postgresql import array as pg_array
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.database import is_sqlite
from app.extensions import db
from app.models import ChatFlood
from app.services.chat.errors import Flooding, RepeatedLine


@dataclass(frozen=True)
class FloodLimits:
    """The three numbers of the flood rule."""

    lines: int
    seconds: int
    repeat_seconds: int

    @property
    def kept_seconds(self) -> int:
        """How long a line stays in the window: the longer of the two rules."""
        return max(self.seconds, self.repeat_seconds)


def flood_limits() -> FloodLimits:
    """Return the flood rule configured for the current app."""
    config = current_app.config
    return FloodLimits(
        int(config.get("CHAT_FLOOD_LINES", 5)),
        int(config.get("CHAT_FLOOD_SECONDS", 10)),
        int(config.get("CHAT_REPEAT_SECONDS", 30)),
    )


def line_digest(body: str) -> str:
    """The line's fingerprint for the repeat rule: "ENCORE!" repeats "encore!"."""
    return hashlib.sha256(body.casefold().encode()).hexdigest()[:20]


@dataclass(frozen=True)
class FloodLine:
    """One line as the flood step sees it: who, where, when and its fingerprint."""

    user_id: int
    scope: str  # "r<room id>" or "c<channel id>"
    at: float  # epoch seconds
    digest: str

    @classmethod
    def of(cls, user_id: int, scope: str, body: str, now: datetime) -> FloodLine:
        """The line `user_id` writes in `scope` at `now`."""
        return cls(user_id, scope, now.timestamp(), line_digest(body))


def judge(
    times: list[float], digests: list[str], line: FloodLine, rule: FloodLimits
) -> tuple[list[float], list[str]]:
    """Return the window with `line` added, or raise when the line breaks the rule.

    Lines past the rule's longer window drop out. `flood_upsert` is the same rule in SQL.
    """
    recent = [t for t in times if t > line.at - rule.seconds]
    if len(recent) >= rule.lines:
        oldest_counted = recent[len(recent) - rule.lines]
        raise Flooding(retry_after=max(1, math.ceil(oldest_counted + rule.seconds - line.at)))
    said = [t for t, d in zip(times, digests, strict=True) if d == line.digest]
    if said and said[-1] > line.at - rule.repeat_seconds:
        raise RepeatedLine(retry_after=max(1, math.ceil(said[-1] + rule.repeat_seconds - line.at)))
    kept = [(t, d) for t, d in zip(times, digests, strict=True) if t > line.at - rule.kept_seconds]
    return [t for t, _ in kept] + [line.at], [d for _, d in kept] + [line.digest]


def keep_window(line: FloodLine) -> None:
    """Add `line` to its window inside the caller's transaction, or raise Flooding or
    RepeatedLine (the caller rolls back, so nothing of the post stays).

    The caller holds the channel's row lock (its number is taken), so no other post of the
    scope reads the row between this read and the write.
    """
    rule = flood_limits()
    row = db.session.execute(
        select(ChatFlood.times, ChatFlood.digests).where(
            ChatFlood.user_id == line.user_id, ChatFlood.scope == line.scope
        )
    ).first()
    times, digests = (
        judge(list(row[0]), list(row[1]), line, rule) if row else judge([], [], line, rule)
    )
    insert = sqlite_insert if is_sqlite() else pg_insert
    statement = insert(ChatFlood).values(
        user_id=line.user_id, scope=line.scope, times=times, digests=digests, over_rule=False
    )
    db.session.execute(
        statement.on_conflict_do_update(
            index_elements=["user_id", "scope"],
            set_={"times": statement.excluded.times, "digests": statement.excluded.digests},
        )
    )


def flood_values(line: FloodLine, rule: FloodLimits) -> dict:
    """`flood_upsert`'s parameters for `line` under `rule`."""
    return {
        "flood_scope": line.scope,
        "flood_at": line.at,
        "flood_digest": line.digest,
        "flood_lines": rule.lines,
        "flood_window_after": line.at - rule.seconds,
        "flood_repeat_after": line.at - rule.repeat_seconds,
        "flood_kept_after": line.at - rule.kept_seconds,
    }


def flood_upsert(user_id, numbered):
    """PostgreSQL: `judge` as one INSERT … ON CONFLICT DO UPDATE, a part of the post's statement.

    `user_id` is the poster's bound parameter; the row is written only when `numbered` (the
    numbering UPDATE's WITH) took a number, after that UPDATE's lock on the channel. ON
    CONFLICT works on the row's latest version, not the statement's snapshot, so a post that
    waited for the lock counts the lines committed meanwhile. A line that breaks the rule
    sets `over_rule`, which the table's CHECK refuses: the whole statement fails.
    """
    table = ChatFlood.__table__
    at = bindparam("flood_at", type_=Double)
    digest = bindparam("flood_digest", type_=String)
    entries = (
        func.unnest(table.c.times, table.c.digests)
        .table_valued("t", "d", with_ordinality="i")
        .render_derived(name="entry")
    )
    counted = (
        select(func.count())
        .select_from(entries)
        .where(entries.c.t > bindparam("flood_window_after", type_=Double))
        .scalar_subquery()
    )
    repeated = (
        select(entries.c.t)
        .where(
            entries.c.d == digest,
            entries.c.t > bindparam("flood_repeat_after", type_=Double),
        )
        .exists()
    )

    def kept(column, empty: str, value):
        """The column's entries still inside the longer window, oldest first, then `value`."""
        rows = (
            select(func.array_agg(aggregate_order_by(column, entries.c.i)))
            .where(entries.c.t > bindparam("flood_kept_after", type_=Double))
            .scalar_subquery()
        )
        return func.array_append(func.coalesce(rows, literal_column(empty)), value)

    statement = pg_insert(table).from_select(
        ["user_id", "scope", "times", "digests", "over_rule"],
        select(
            user_id,
            bindparam("flood_scope", type_=String),
            pg_array([at]),
            pg_array([digest]),
            false(),
        ).select_from(numbered),
    )
    return statement.on_conflict_do_update(
        index_elements=["user_id", "scope"],
        set_={
            "times": kept(entries.c.t, "'{}'::double precision[]", at),
            "digests": kept(entries.c.d, "'{}'::varchar[]", digest),
            "over_rule": (counted >= bindparam("flood_lines", type_=Integer)) | repeated,
        },
    )
