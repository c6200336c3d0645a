"""Opaque keyset cursors: the sort key of the last item a page showed.

A page asks for rows strictly after that key in the feed's order, so posts written while
someone scrolls never shift the next page: nothing repeats and nothing is skipped.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask_babel import lazy_gettext as _l

from app.services.errors import InvalidInput

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ONE_MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True)
class TimeKey:
    """Newest-first position: (time, kind, id); kind orders two sources at the same instant."""

    at: datetime
    kind: int
    id: int


@dataclass(frozen=True)
class ScoreKey:
    """Highest-score-first position: (score, id)."""

    score: float
    id: int


def _bad() -> InvalidInput:
    """The error for a cursor this module did not write."""
    return InvalidInput(_l("That page link is broken."), field="cursor")


def encode_time(key: TimeKey) -> str:
    """Write a time key as `t<microseconds>.<kind>.<id>` (exact, no float rounding)."""
    micros = (key.at - EPOCH) // ONE_MICROSECOND
    return f"t{micros}.{key.kind}.{key.id}"


def decode_time(cursor: str | None) -> TimeKey | None:
    """Read a time key; None for the first page; InvalidInput for garbage."""
    if not cursor:
        return None
    try:
        head, kind, ident = cursor.split(".")
        if not head.startswith("t"):
            raise ValueError(cursor)
        return TimeKey(EPOCH + int(head[1:]) * ONE_MICROSECOND, int(kind), int(ident))
    except (ValueError, OverflowError) as exc:
        raise _bad() from exc


def encode_score(key: ScoreKey) -> str:
    """Write a score key as `s<float repr>~<id>` (repr round-trips exactly)."""
    return f"s{key.score!r}~{key.id}"


def decode_score(cursor: str | None) -> ScoreKey | None:
    """Read a score key; None for the first page; InvalidInput for garbage."""
    if not cursor:
        return None
    try:
        head, ident = cursor.split("~")
        if not head.startswith("s"):
            raise ValueError(cursor)
        score = float(head[1:])
        if not math.isfinite(score):
            raise ValueError(cursor)
        return ScoreKey(score, int(ident))
    except ValueError as exc:
        raise _bad() from exc
