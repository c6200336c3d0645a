"""Seats given up during a room's life: leaving, the host removing someone, and handing
hosting over. A live show keeps going: a leaver's turn is forfeited, the scores they gave
stand, and a leaving host hands over to the member who has waited longest.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from app.database import utcnow
from app.extensions import db
from app.models import Performance, Phase, Room, RoomMember, RoomStatus
from app.services import show
from app.services.errors import Conflict, InvalidInput
from app.services.rooms import NotHost, NotMember, RoomNotOpen, membership
from app.services.stage import commit_stage, lock_room


class CannotRemoveYourself(Conflict):
    """The host leaves (or hands over) rather than removing themselves."""

    default_message = _l("To go, use Leave the room.")


class NotSeated(InvalidInput):
    """The person named is not in this room."""

    default_message = _l("That person is not in this room.")


def _longest_waiting(room_id: int, other_than: int) -> RoomMember | None:
    """Return the seated member who joined first, other than `other_than`."""
    return db.session.scalar(
        select(RoomMember)
        .where(
            RoomMember.room_id == room_id,
            RoomMember.left_at.is_(None),
            RoomMember.user_id != other_than,
        )
        .order_by(RoomMember.joined_at, RoomMember.id)
        .limit(1)
    )


def _vacate(room: Room, member: RoomMember) -> None:
    """Free `member`'s seat and keep the show consistent without them."""
    member.left_at = utcnow()
    db.session.execute(
        update(Room)
        .where(Room.id == room.id)
        .values(seats_taken=Room.seats_taken - 1)
        .execution_options(synchronize_session=False)
    )
    db.session.flush()
    db.session.refresh(room)
    if room.host_id == member.user_id:
        successor = _longest_waiting(room.id, member.user_id)
        if successor is not None:
            room.host_id = successor.user_id
        elif room.status == RoomStatus.LOBBY:
            room.status = RoomStatus.CANCELLED
            room.finished_at = utcnow()
            return
    if room.status != RoomStatus.LIVE:
        return
    if _longest_waiting(room.id, member.user_id) is None:
        show.finish(room)  # nobody is left to perform or to score
        return
    performance = db.session.get(Performance, room.current_performance_id)
    if performance is None:  # pragma: no cover  (a live room always has one)
        return
    if performance.next_performer_id == member.user_id:
        performance.next_performer_id = None
    if performance.performer_id == member.user_id and performance.phase == Phase.ON_AIR:
        show.forfeit(room, performance)
    elif performance.phase == Phase.SCORING:
        show.close_when_present_scored(room, performance)


def leave(room_id: int, user_id: int) -> Room:
    """Give up a seat in the lobby or during the show; a leaving host hands over."""
    room = lock_room(room_id)
    member = membership(room_id, user_id)
    if member is None or member.left_at is not None:
        raise NotMember()
    if room.status not in (RoomStatus.LOBBY, RoomStatus.LIVE):
        raise RoomNotOpen(_l("This show is over."))
    _vacate(room, member)
    return commit_stage(room)


def remove_member(room_id: int, host_id: int, user_id: int) -> Room:
    """The host takes someone's seat away, in the lobby or during the show."""
    room = lock_room(room_id)
    show.require_member(room, host_id)
    if room.host_id != host_id:
        raise NotHost(_l("Only the host can remove someone."))
    if user_id == host_id:
        raise CannotRemoveYourself()
    member = membership(room_id, user_id)
    if member is None or member.left_at is not None:
        raise NotSeated()
    if room.status not in (RoomStatus.LOBBY, RoomStatus.LIVE):
        raise RoomNotOpen(_l("This show is over."))
    _vacate(room, member)
    return commit_stage(room)


def hand_over(room_id: int, host_id: int, user_id: int) -> Room:
    """The host makes another seated member the host."""
    room = lock_room(room_id)
    show.require_member(room, host_id)
    if room.host_id != host_id:
        raise NotHost(_l("Only the host can hand hosting over."))
    member = membership(room_id, user_id)
    if member is None or member.left_at is not None or user_id == host_id:
        raise NotSeated()
    if room.status not in (RoomStatus.LOBBY, RoomStatus.LIVE):
        raise RoomNotOpen(_l("This show is over."))
    room.host_id = user_id
    return commit_stage(room)
