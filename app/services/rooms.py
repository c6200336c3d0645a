"""Rooms: creation, the rooms list, and taking a seat (leaving lives in show_members)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import Integer, bindparam, case, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from app.database import begin_write, utcnow
from app.extensions import db
from app.models import Performance, Room, RoomMember, RoomMode, RoomStatus, RoomVideo
from app.services import blocks, notifications
from app.services.errors import Conflict, Forbidden, InvalidInput
from app.services.stage import RoomNotFound, bump_version, lock_room

__all__ = ["RoomNotFound", "bump_version", "lock_room"]

TITLE_MAX = 80
DESCRIPTION_MAX = 1000
CAPACITY_MIN = 2
CAPACITY_MAX = 50
TURN_MINUTES = (1, 10, 3)  # min, max, default
SCORING_SECONDS = (10, 300, 60)
LIST_STATUSES = ("open", "live")
EVERYONE_VIDEO_MAX = 6


class RoomFull(Conflict):
    """Every seat is taken."""

    default_message = _l("This room is full. You can still watch.")


class RoomNotOpen(Conflict):
    """The show has started (or ended), so nobody can join or leave any more."""

    default_message = _l("This show has already started, so seats are closed.")


class AlreadyMember(Conflict):
    """The user already holds a seat in the room."""

    default_message = _l("You are already in this room.")


class NotMember(Forbidden):
    """The user does not hold a seat in the room."""

    default_message = _l("Only members of this room can do that. Join the room first.")


class NotHost(Forbidden):
    """Only the host may do this."""

    default_message = _l("Only the host can do that.")


@dataclass(frozen=True)
class RoomPage:
    """One page of the rooms list."""

    rooms: list[Room]
    page: int
    has_next: bool


def categories() -> dict[str, str]:
    """Return the configured room categories, code → label."""
    return dict(current_app.config["ROOM_CATEGORIES"])


def create_room(
    host_id: int,
    title: str,
    description: str,
    category: str,
    mode: str,
    capacity: int,
    turn_minutes: int = TURN_MINUTES[2],
    scoring_seconds: int = SCORING_SECONDS[2],
    video: str = RoomVideo.STAGE.value,
) -> Room:
    """Open a room in the lobby with `host_id` as host and first member."""
    title = (title or "").strip()
    description = (description or "").strip()
    if not 1 <= len(title) <= TITLE_MAX:
        raise InvalidInput(_l("Titles are 1–80 characters."), field="title")
    if len(description) > DESCRIPTION_MAX:
        raise InvalidInput(_l("Descriptions are at most 1000 characters."), field="description")
    if category not in categories():
        raise InvalidInput(_l("Pick one of the categories."), field="category")
    if mode not in {m.value for m in RoomMode}:
        raise InvalidInput(_l("Pick ranked or casual."), field="mode")
    if isinstance(capacity, bool) or not isinstance(capacity, int):
        raise InvalidInput(_l("Capacity is a whole number."), field="capacity")
    if not CAPACITY_MIN <= capacity <= CAPACITY_MAX:
        raise InvalidInput(_l("Capacity is between 2 and 50 seats."), field="capacity")
    if not _whole_in(turn_minutes, TURN_MINUTES):
        raise InvalidInput(_l("A turn lasts 1 to 10 minutes."), field="turn_minutes")
    if not _whole_in(scoring_seconds, SCORING_SECONDS):
        raise InvalidInput(_l("Scoring lasts 10 to 300 seconds."), field="scoring_seconds")
    if video not in {v.value for v in RoomVideo}:
        raise InvalidInput(_l("Pick off, stage or everyone for video."), field="video")
    if video == RoomVideo.EVERYONE.value and capacity > EVERYONE_VIDEO_MAX:
        # Everyone on camera is a mesh of phones, each uploading to all the others.
        raise InvalidInput(
            _l("Everyone on camera works for rooms of up to 6 seats."), field="video"
        )
    now = utcnow()
    room = Room(
        title=title,
        description=description,
        category=category,
        mode=RoomMode(mode),
        capacity=capacity,
        video=RoomVideo(video),
        host_id=host_id,
        status=RoomStatus.LOBBY,
        seats_taken=1,
        version=1,
        created_at=now,
        turn_minutes=turn_minutes,
        scoring_seconds=scoring_seconds,
    )
    db.session.add(room)
    db.session.flush()
    db.session.add(RoomMember(room_id=room.id, user_id=host_id, joined_at=now, last_seen_at=now))
    notifications.room_opened(room)
    db.session.commit()
    return room


def _whole_in(value: object, bounds: tuple[int, int, int]) -> bool:
    """Tell whether `value` is a whole number within `bounds` (min, max, default)."""
    return (
        isinstance(value, int) and not isinstance(value, bool) and bounds[0] <= value <= bounds[1]
    )


def get_room(room_id: int) -> Room:
    """Return the room, or raise RoomNotFound."""
    room = db.session.get(Room, room_id)
    if room is None:
        raise RoomNotFound()
    return room


@cache
def _room_and_block_statement():
    """The room, and whether its host and `:viewer_id` blocked one another: one round trip
    for what every room page and stage fragment asks first. Built once."""
    in_block = blocks.in_block_clause(bindparam("viewer_id", type_=Integer), Room.host_id)
    return select(Room, in_block).where(Room.id == bindparam("room_id", type_=Integer))


def visible_room(room_id: int, viewer_id: int | None) -> Room:
    """Return the room if the viewer may see it; cancelled rooms are only for past members,
    and a room whose host is in a block with the viewer is not found at all."""
    if viewer_id is None:
        room, in_block = get_room(room_id), False
    else:
        row = db.session.execute(
            _room_and_block_statement(), {"room_id": room_id, "viewer_id": viewer_id}
        ).one_or_none()
        if row is None:
            raise RoomNotFound()
        room, in_block = row
    if room.status == RoomStatus.CANCELLED and (
        viewer_id is None or membership(room_id, viewer_id) is None
    ):
        raise RoomNotFound()
    if in_block:
        raise RoomNotFound()
    return room


def membership(room_id: int, user_id: int) -> RoomMember | None:
    """Return the user's membership row in the room (present or not), if any."""
    return db.session.scalar(
        select(RoomMember).where(RoomMember.room_id == room_id, RoomMember.user_id == user_id)
    )


def can_watch(user_id: int, room_id: int) -> bool:
    """Tell whether `user_id` may watch the room live: anyone logged in, seat or not
    (show rule 10: spectators take no seat), except in a cancelled room or a room whose
    host is in a block with them."""
    row = db.session.execute(select(Room.status, Room.host_id).where(Room.id == room_id)).first()
    if row is None or row.status == RoomStatus.CANCELLED:
        return False
    return not blocks.is_blocked_between(user_id, row.host_id)


def select_present_members(*columns):
    """Select `columns` of the members holding a seat in `:room_id`, longest-waiting first.

    The one definition of who is in a room and in what order: the show's rules read the
    members as objects, the stage reads them as plain columns.
    """
    return (
        select(*columns)
        .where(
            RoomMember.room_id == bindparam("room_id", type_=Integer),
            RoomMember.left_at.is_(None),
        )
        .order_by(RoomMember.joined_at, RoomMember.id)
    )


@cache
def _present_members_statement():
    """Built once: the show's rules ask on every turn."""
    return select_present_members(RoomMember).options(joinedload(RoomMember.user))


def present_members(room_id: int) -> list[RoomMember]:
    """Return the members holding a seat, longest-waiting first, with their users loaded."""
    return list(db.session.scalars(_present_members_statement(), {"room_id": room_id}))


def join_room(room_id: int, user_id: int) -> Room:
    """Seat `user_id` in a lobby room that has a free seat; one conditional UPDATE decides."""
    blocks.check_can_join_room(user_id, room_id)
    begin_write()
    member = membership(room_id, user_id)
    if member is not None and member.left_at is None:
        raise AlreadyMember()
    # The seat count and the status are checked and changed in one statement, so
    # concurrent joiners can never take more seats than the room has.
    taken = db.session.execute(
        update(Room)
        .where(
            Room.id == room_id,
            Room.status == RoomStatus.LOBBY,
            Room.seats_taken < Room.capacity,
        )
        .values(seats_taken=Room.seats_taken + 1)
        .returning(Room.id)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    if taken is None:
        room = db.session.get(Room, room_id, populate_existing=True)
        db.session.rollback()
        if room is None or room.status == RoomStatus.CANCELLED:
            raise RoomNotFound()
        if room.status != RoomStatus.LOBBY:
            raise RoomNotOpen()
        raise RoomFull()
    now = utcnow()
    try:
        if member is None:
            db.session.add(
                RoomMember(room_id=room_id, user_id=user_id, joined_at=now, last_seen_at=now)
            )
            db.session.flush()
        else:
            # Coming back after leaving the lobby: reactivate only if still away, so two
            # simultaneous rejoins cannot both take a seat.
            back = db.session.execute(
                update(RoomMember)
                .where(RoomMember.id == member.id, RoomMember.left_at.is_not(None))
                .values(left_at=None, joined_at=now, last_seen_at=now)
                .execution_options(synchronize_session=False)
            )
            if back.rowcount != 1:
                raise AlreadyMember()
    except IntegrityError:
        db.session.rollback()
        raise AlreadyMember() from None
    except AlreadyMember:
        db.session.rollback()
        raise
    bump_version(room_id)
    db.session.commit()
    return get_room(room_id)


def not_idle():
    """Leave out live shows idle since before `:idle_cutoff` (see `idle_cutoff()`): they
    are about to finish by themselves."""
    return or_(
        Room.status != RoomStatus.LIVE,
        Room.last_activity_at.is_(None),
        Room.last_activity_at > bindparam("idle_cutoff", type_=Room.last_activity_at.type),
    )


def idle_cutoff() -> datetime:
    """The `:idle_cutoff` of `not_idle()` now: a live show idle since before it is left out."""
    return utcnow() - timedelta(seconds=int(current_app.config.get("SHOW_IDLE_SECONDS", 3600)))


@cache
def _list_statement(status: str, category: bool, mode: bool, search: bool, signed_in: bool):
    """The rooms list for one shape of filters, built once; the values are parameters.

    Building the statement cost about as much CPU as running it, on every visit.
    """
    if status == "open":
        listed = select(Room.id).where(Room.status == RoomStatus.LOBBY)
    elif status == "live":
        listed = select(Room.id).where(Room.status == RoomStatus.LIVE)
    else:
        listed = select(Room.id).where(Room.status.in_((RoomStatus.LOBBY, RoomStatus.LIVE)))
    listed = listed.where(not_idle())
    if category:
        listed = listed.where(Room.category == bindparam("category"))
    if mode:
        listed = listed.where(Room.mode == bindparam("mode"))
    if search:
        pattern = bindparam("pattern", type_=Room.title.type)
        listed = listed.where(
            or_(
                func.lower(Room.title).like(pattern, escape="\\"),
                func.lower(Room.description).like(pattern, escape="\\"),
            )
        )
    if signed_in:  # leave out rooms whose host is in a block with the viewer
        viewer = bindparam("viewer_id", type_=Integer)
        listed = listed.where(Room.host_id.not_in(blocks.hidden_from(viewer)))
    order = (
        case((Room.status == RoomStatus.LIVE, 0), else_=1),
        Room.created_at.desc(),
        Room.id.desc(),
    )
    # The page's ids first, then its cards: joined to the hosts before the sort,
    # PostgreSQL looked up the host of every open room (8 ms for a thousand).
    page_ids = (
        listed.order_by(*order)
        .offset(bindparam("offset", type_=Integer))
        .limit(bindparam("limit", type_=Integer))
        .subquery()
    )
    return (
        select(Room)
        .join(page_ids, page_ids.c.id == Room.id)
        .options(
            joinedload(Room.host),
            selectinload(Room.current_performance).joinedload(Performance.performer),
        )
        .order_by(*order)
    )


def list_rooms(
    *,
    q: str = "",
    category: str = "",
    mode: str = "",
    status: str = "",
    page: int = 1,
    per_page: int | None = None,
    viewer_id: int | None = None,
) -> RoomPage:
    """Return one page of lobby and live rooms matching the search, live shows first
    (leaving out rooms whose host is in a block with the viewer)."""
    per_page = per_page or current_app.config["ROOMS_PER_PAGE"]
    page = max(1, min(int(page or 1), 10_000))
    category = category if category and category in categories() else ""
    mode = mode if mode in {m.value for m in RoomMode} else ""
    q = (q or "").strip()[:80]
    escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    statement = _list_statement(
        status if status in LIST_STATUSES else "",
        bool(category),
        bool(mode),
        bool(q),
        viewer_id is not None,
    )
    values = {
        "idle_cutoff": idle_cutoff(),
        "category": category,
        "mode": RoomMode(mode) if mode else None,
        "pattern": f"%{escaped.lower()}%",
        "viewer_id": viewer_id,
        "offset": (page - 1) * per_page,
        "limit": per_page + 1,
    }
    rooms = list(db.session.scalars(statement, values).unique())
    return RoomPage(rooms=rooms[:per_page], page=page, has_next=len(rooms) > per_page)
