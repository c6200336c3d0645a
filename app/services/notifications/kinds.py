"""The kinds of notification, what each is about, and how each collapses."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_babel import lazy_gettext as _l


class Kind(enum.StrEnum):
    """Why someone is told something."""

    NOMINATED = "nominated"
    TURN_SOON = "turn_soon"
    ON_AIR = "on_air"
    ROOM_OPENED = "room_opened"
    RESULTS = "results"
    FOLLOWED = "followed"
    REPORT = "report"


# What a person sees in the settings, one switch per kind.
LABELS: dict[Kind, object] = {
    Kind.NOMINATED: _l("Someone nominates me to perform next"),
    Kind.TURN_SOON: _l("My turn is about to start"),
    Kind.ON_AIR: _l("Someone I follow goes on air"),
    Kind.ROOM_OPENED: _l("Someone I follow opens a room"),
    Kind.RESULTS: _l("My results are in"),
    Kind.FOLLOWED: _l("Someone follows me"),
    Kind.REPORT: _l("A moderator decides on my report"),
}

# Kinds told to every follower of the actor: written by a Celery task, never in a request.
FAN_OUT = frozenset({Kind.ON_AIR, Kind.ROOM_OPENED})
# Kinds whose rows gather several actors ("민준 and 9 others followed you").
COLLAPSING = frozenset({Kind.FOLLOWED})


def parse(value: str) -> Kind | None:
    """Return the kind named `value`, or None when there is no such kind."""
    try:
        return Kind(value)
    except ValueError:
        return None


def group_key(kind: Kind, target_type: str, target_id: int, at: datetime) -> str:
    """Name the row a notice lands on: once per target, or per target and hour when collapsing.

    The same key for the same notice is what makes a retried or concurrent write idempotent.
    """
    if kind in COLLAPSING:
        return f"{kind.value}:{target_type}:{target_id}:{at:%Y%m%d%H}"
    return f"{kind.value}:{target_type}:{target_id}"
