"""Row factories for tests that need history the show service would take minutes to play.

Tests of the show itself go through HTTP; tests of what reads shows (leaderboards,
profiles, statistics) build finished performances here, straight into the tables.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from app.database import utcnow
from app.extensions import db
from app.models import Performance, Phase, Room, RoomMember, RoomMode, RoomStatus, Score
from app.services import accounts
from app.services.scoring import average_of


def user(username: str, display_name: str | None = None, password: str = "correct horse") -> int:
    """Create a user through the accounts service and return its id."""
    return accounts.create_user(username, display_name or username, password).id


def room(
    host_id: int,
    *,
    title: str = "Friday karaoke",
    mode: str = "ranked",
    category: str = "karaoke",
    capacity: int = 10,
    status: str = "lobby",
    member_ids: tuple[int, ...] = (),
    created_at: datetime | None = None,
) -> int:
    """Create a room with its host and `member_ids` seated; return its id."""
    created = created_at or utcnow()
    new = Room(
        title=title,
        description="",
        category=category,
        mode=RoomMode(mode),
        capacity=capacity,
        host_id=host_id,
        status=RoomStatus(status),
        seats_taken=1 + len(member_ids),
        created_at=created,
        started_at=created if status != "lobby" else None,
    )
    db.session.add(new)
    db.session.flush()
    for position, uid in enumerate((host_id, *member_ids)):
        db.session.add(
            RoomMember(room_id=new.id, user_id=uid, joined_at=created + timedelta(seconds=position))
        )
    db.session.commit()
    return new.id


def finished_performance(
    room_id: int,
    performer_id: int,
    scores: dict[int, int],
    *,
    closed_at: datetime | None = None,
    turn: int | None = None,
) -> int:
    """Record a closed performance with `scores` ({scorer_id: value}); return its id.

    The average and whether it counts follow the show rules: two decimals, and only
    ranked rooms count toward rankings.
    """
    the_room = db.session.get(Room, room_id)
    closed = closed_at or utcnow()
    if turn is None:
        turn = 1 + db.session.query(Performance).filter_by(room_id=room_id).count()
    average = average_of(list(scores.values()))  # the show's one average
    performance = Performance(
        room_id=room_id,
        performer_id=performer_id,
        turn=turn,
        phase=Phase.CLOSED,
        category=the_room.category,
        started_at=closed - timedelta(minutes=4),
        ended_at=closed - timedelta(minutes=1),
        closed_at=closed,
        average=average,
        counts_toward_ranking=the_room.mode == RoomMode.RANKED and average is not None,
    )
    db.session.add(performance)
    db.session.flush()
    for scorer_id, value in scores.items():
        db.session.add(
            Score(
                performance_id=performance.id, scorer_id=scorer_id, value=value, created_at=closed
            )
        )
    member = (
        db.session.query(RoomMember).filter_by(room_id=room_id, user_id=performer_id).one_or_none()
    )
    if member is not None:
        member.has_performed = True
    db.session.commit()
    return performance.id
