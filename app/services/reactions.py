"""Reactions on the performance on air: claps and mirror balls, counted atomically and
pushed to the room. Members and spectators react; nothing here changes the stage, so the
stage version stays as it is and nobody refetches it."""

from __future__ import annotations

from sqlalchemy import select, update

from app.database import begin_write
from app.extensions import db
from app.models import Performance, Phase, Room, RoomStatus
from app.realtime.broadcast import broadcast
from app.realtime.events import REACTION
from app.services.show_errors import CannotReactToYourself, InvalidReaction, NobodyOnAir
from app.services.stage import RoomNotFound

# Reaction kind → the Performance column that counts it.
REACTION_COLUMNS: dict[str, str] = {"clap": "claps", "mirror_ball": "mirror_balls"}


def react(room_id: int, actor_id: int, kind: str) -> dict[str, int]:
    """Count a clap or a mirror ball on the performance on air; return the new totals.

    Members and spectators alike may react; the performer may not react to themselves.
    """
    column = REACTION_COLUMNS.get(kind)
    if column is None:
        raise InvalidReaction()
    begin_write()
    room = db.session.get(Room, room_id, populate_existing=True)
    if room is None or room.status == RoomStatus.CANCELLED:
        raise RoomNotFound()
    if room.status != RoomStatus.LIVE or room.current_performance_id is None:
        raise NobodyOnAir()
    performance_id = room.current_performance_id
    performer_id = db.session.scalar(
        select(Performance.performer_id).where(Performance.id == performance_id)
    )
    if performer_id == actor_id:
        raise CannotReactToYourself()
    # One atomic increment, and only while that performance is still on air.
    row = db.session.execute(
        update(Performance)
        .where(Performance.id == performance_id, Performance.phase == Phase.ON_AIR)
        .values({column: getattr(Performance, column) + 1})
        .returning(Performance.claps, Performance.mirror_balls)
        .execution_options(synchronize_session=False)
    ).one_or_none()
    if row is None:
        raise NobodyOnAir()
    counts = {"clap": int(row.claps), "mirror_ball": int(row.mirror_balls)}
    broadcast(
        REACTION,
        {"room_id": room_id, "performance_id": performance_id, "kind": kind, "counts": counts},
        f"room:{room_id}",
    )
    db.session.commit()
    return counts
