"""What a chat view knows of its viewer: why they may not write now, and whose lines they
do not see. Every chat view (the room page's panel, a room's chat page, a conversation)
asks both, so they are read in one statement instead of two round trips."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import NamedTuple

from sqlalchemy import Integer, cast, literal, null, select, union_all

from app.extensions import db
from app.models import Ban
from app.services import blocks, sanctions
from app.services.sanctions import Restriction


class ChatViewer(NamedTuple):
    """The viewer's side of a chat: a restriction on writing, and the senders hidden."""

    restriction: Restriction | None
    # Ids in a block with the viewer, either way: their lines stay empty numbered slots.
    hidden_senders: set[int]


def chat_viewer(
    user_id: int, room_id: int | None = None, now: datetime | None = None
) -> ChatViewer:
    """Return what `user_id` may not do in `room_id`'s chat (a conversation: None) and whom
    they do not see; the same answers as `sanctions.chat_restriction` and `blocks.blocked_ids`.
    """
    restriction: Restriction | None = None
    hidden: set[int] = set()
    values = sanctions.restriction_values(user_id, room_id, now)
    for kind, reason, until, blocked_id in db.session.execute(_statement(), values):
        if blocked_id is None:
            restriction = Restriction(kind, reason or "", until)
        else:
            hidden.add(blocked_id)
    return ChatViewer(restriction, hidden)


@cache
def _statement():
    """The restriction's one row (blocked id NULL), then a row per blocked id; built once."""
    restriction = sanctions.restriction_statement().subquery()
    blocked = blocks.blocked_ids_statement().subquery()
    return union_all(
        select(
            restriction.c.kind,
            restriction.c.reason,
            restriction.c.until,
            cast(null(), Integer).label("blocked_id"),
        ),
        select(
            literal("block"),
            literal(""),
            cast(null(), Ban.expires_at.type),
            blocked.c.id,
        ),
    )
