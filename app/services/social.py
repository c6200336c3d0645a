"""Follows between people, the lists they make, and what people I follow are up to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import cache
from math import ceil

from flask_babel import lazy_gettext as _l
from sqlalchemy import Integer, and_, bindparam, case, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import Follow, Performance, Phase, Room, RoomMember, RoomStatus, User
from app.services import blocks, notifications, rooms
from app.services.errors import InvalidInput, NotFound

PER_PAGE = 20


class CannotFollowSelf(InvalidInput):
    """Nobody follows themselves."""

    default_message = _l("You cannot follow yourself.")


@dataclass(frozen=True)
class Page:
    """One page of a longer list."""

    items: list
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        """How many pages the whole list fills (at least one)."""
        return max(1, ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        """Tell whether there is a page before this one."""
        return self.page > 1

    @property
    def has_next(self) -> bool:
        """Tell whether there is a page after this one."""
        return self.page < self.pages


@dataclass(frozen=True)
class FeedItem:
    """A recent result by someone I follow."""

    performer: User
    room_id: int
    room_title: str
    average: Decimal | None
    ranked: bool
    closed_at: datetime


@dataclass(frozen=True)
class OpenRoom:
    """A room in the lobby or live, and whether people I follow are in it."""

    room: Room
    followed_names: tuple[str, ...]  # who I follow in it, by arrival


def _user_or_404(user_id: int) -> User:
    """Return the user or raise NotFound."""
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound()
    return user


def follow(follower_id: int, followed_id: int) -> bool:
    """Make `follower_id` follow `followed_id`; return True when it is new (idempotent)."""
    if follower_id == followed_id:
        raise CannotFollowSelf(field="user")
    _user_or_404(followed_id)
    blocks.check_not_blocked(follower_id, followed_id)
    if is_following(follower_id, followed_id):
        return False
    db.session.add(Follow(follower_id=follower_id, followed_id=followed_id))
    try:
        db.session.commit()
    except IntegrityError:
        # A double click raced us to the same row: the follow exists, which is what was asked.
        db.session.rollback()
        return False
    notifications.followed(follower_id, followed_id)
    return True


def unfollow(follower_id: int, followed_id: int) -> bool:
    """Stop `follower_id` following `followed_id`; return True when a follow was removed."""
    if follower_id == followed_id:
        raise CannotFollowSelf(field="user")
    _user_or_404(followed_id)
    result = db.session.execute(
        delete(Follow).where(Follow.follower_id == follower_id, Follow.followed_id == followed_id)
    )
    db.session.commit()
    return bool(result.rowcount)


def _follows_clause(follower_id, followed_id):
    """EXISTS: `follower_id` follows `followed_id` (values or bound parameters)."""
    return (
        select(Follow.follower_id)
        .where(Follow.follower_id == follower_id, Follow.followed_id == followed_id)
        .exists()
    )


def is_following(follower_id: int | None, followed_id: int) -> bool:
    """Tell whether `follower_id` follows `followed_id` (False for anonymous viewers)."""
    if follower_id is None:
        return False
    return bool(db.session.scalar(select(_follows_clause(follower_id, followed_id))))


def following_among(follower_id: int | None, user_ids: list[int]) -> set[int]:
    """Return which of `user_ids` the follower follows (empty for anonymous viewers)."""
    if follower_id is None or not user_ids:
        return set()
    return set(
        db.session.scalars(
            select(Follow.followed_id).where(
                Follow.follower_id == follower_id, Follow.followed_id.in_(user_ids)
            )
        )
    )


@dataclass(frozen=True)
class FollowState:
    """A person's follow counts, and whether the viewer follows or blocked them."""

    followers: int
    following: int
    viewer_follows: bool
    viewer_blocked: bool


@cache
def _follow_state_statement():
    """The four numbers of FollowState for `:user_id` and `:viewer_id`, one statement built
    once (a profile asked them in three)."""
    user_id = bindparam("user_id", type_=Integer)
    viewer_id = bindparam("viewer_id", type_=Integer)
    count = select(func.count()).select_from(Follow)
    return select(
        count.where(Follow.followed_id == user_id).scalar_subquery(),
        count.where(Follow.follower_id == user_id).scalar_subquery(),
        _follows_clause(viewer_id, user_id),
        blocks.has_blocked_clause(viewer_id, user_id),
    )


def follow_state(user_id: int, viewer_id: int | None) -> FollowState:
    """Return `user_id`'s follow counts and where `viewer_id` (None: a visitor) stands."""
    followers, following, follows, blocked = db.session.execute(
        _follow_state_statement(), {"user_id": user_id, "viewer_id": viewer_id}
    ).one()
    return FollowState(int(followers or 0), int(following or 0), bool(follows), bool(blocked))


def _page_number(page: int | None) -> int:
    """Clamp a requested page number to 1 or more."""
    return max(1, int(page or 1))


def followers(
    user_id: int, page: int = 1, per_page: int = PER_PAGE, *, viewer_id: int | None = None
) -> Page:
    """Return a page of the people who follow `user_id`, newest first (blocks hidden)."""
    condition = Follow.followed_id == user_id
    condition &= _not_blocked(Follow.follower_id, user_id, viewer_id)
    return _people_page(condition, Follow.follower_id, page, per_page)


def following(
    user_id: int, page: int = 1, per_page: int = PER_PAGE, *, viewer_id: int | None = None
) -> Page:
    """Return a page of the people `user_id` follows, newest first (blocks hidden)."""
    condition = Follow.follower_id == user_id
    condition &= _not_blocked(Follow.followed_id, user_id, viewer_id)
    return _people_page(condition, Follow.followed_id, page, per_page)


def _not_blocked(person_column, owner_id: int, viewer_id: int | None):
    """SQL condition: the listed person is in no block with the list's owner or the viewer."""
    condition = person_column.not_in(blocks.hidden_from(owner_id))
    if viewer_id is not None and viewer_id != owner_id:
        condition &= person_column.not_in(blocks.hidden_from(viewer_id))
    return condition


def _people_page(condition, person_column, page: int, per_page: int) -> Page:
    """Return a page of users joined to follows on `person_column` under `condition`."""
    page = _page_number(page)
    total = db.session.scalar(select(func.count()).select_from(Follow).where(condition)) or 0
    people = db.session.scalars(
        select(User)
        .join(Follow, person_column == User.id)
        .where(condition)
        .order_by(Follow.created_at.desc(), User.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return Page(list(people), page, per_page, int(total))


def followed_ids(user_id: int) -> list[int]:
    """Return the ids of everyone `user_id` follows."""
    return list(db.session.scalars(select(Follow.followed_id).where(Follow.follower_id == user_id)))


@cache
def _feed_statement(limit: int):
    """Recent closed performances by people `:user_id` follows, built once per limit.

    The home page runs this on every visit; building the joins anew cost about as much CPU
    as PostgreSQL took to answer.
    """
    return (
        select(Performance, Room.title, Room.mode)
        .join(Room, Room.id == Performance.room_id)
        .join(Follow, Follow.followed_id == Performance.performer_id)
        .options(joinedload(Performance.performer))
        .where(
            Follow.follower_id == bindparam("user_id", type_=Integer),
            Performance.phase == Phase.CLOSED,
            Performance.closed_at.is_not(None),
        )
        .order_by(Performance.closed_at.desc(), Performance.id.desc())
        .limit(limit)
    )


def activity_feed(user_id: int, limit: int = 10) -> list[FeedItem]:
    """Return recent closed performances by people `user_id` follows, newest first."""
    rows = db.session.execute(_feed_statement(limit), {"user_id": user_id}).all()
    return [
        FeedItem(
            performer=performance.performer,
            room_id=performance.room_id,
            room_title=title,
            average=performance.average,
            ranked=performance.counts_toward_ranking,
            closed_at=performance.closed_at,
        )
        for performance, title, _mode in rows
    ]


@cache
def _open_rooms_statement(limit: int):
    """Open rooms, live ones with people `:user_id` follows first; built once per limit.

    The rooms that hold someone `:user_id` follows are found first, from the follows
    (a handful of rows), and joined to the open rooms: asking each open room whether it
    holds someone followed took PostgreSQL 15 ms with a thousand open rooms.
    """
    followed_rooms = (
        select(RoomMember.room_id)
        .join(Follow, Follow.followed_id == RoomMember.user_id)
        .where(
            Follow.follower_id == bindparam("user_id", type_=Integer),
            RoomMember.left_at.is_(None),
        )
        .distinct()
        .subquery()
    )
    has_followed = followed_rooms.c.room_id.is_not(None)
    is_live = Room.status == RoomStatus.LIVE
    return (
        select(Room)
        .outerjoin(followed_rooms, followed_rooms.c.room_id == Room.id)
        .where(
            Room.status.in_((RoomStatus.LOBBY, RoomStatus.LIVE)),
            rooms.not_idle(),  # as on the rooms list: idle shows, and hosts in a block
            Room.host_id.not_in(blocks.hidden_from(bindparam("user_id", type_=Integer))),
        )
        .order_by(
            # Live rooms with people I follow, then the other live rooms, then lobbies
            # (those with people I follow first).
            case((and_(has_followed, is_live), 0), else_=1),
            case((is_live, 0), else_=1),
            case((has_followed, 0), else_=1),
            Room.created_at.desc(),
            Room.id.desc(),
        )
        .limit(limit)
    )


@cache
def _followed_members_statement():
    """The names of people `:user_id` follows who sit in the rooms `:room_ids`, by arrival."""
    return (
        select(RoomMember.room_id, User.display_name)
        .join(User, User.id == RoomMember.user_id)
        .join(Follow, Follow.followed_id == RoomMember.user_id)
        .where(
            RoomMember.room_id.in_(bindparam("room_ids", expanding=True)),
            RoomMember.left_at.is_(None),
            Follow.follower_id == bindparam("user_id", type_=Integer),
        )
        .order_by(RoomMember.joined_at)
    )


def open_rooms_for(user_id: int, limit: int = 12) -> list[OpenRoom]:
    """Return open rooms: live ones with people `user_id` follows first, then the others.

    Both statements are built once: the home page asks on every visit.
    """
    found = db.session.scalars(
        _open_rooms_statement(limit), {"user_id": user_id, "idle_cutoff": rooms.idle_cutoff()}
    ).all()
    if not found:
        return []
    members = db.session.execute(
        _followed_members_statement(),
        {"user_id": user_id, "room_ids": [room.id for room in found]},
    ).all()
    by_room: dict[int, list[str]] = {}
    for room_id, name in members:
        by_room.setdefault(room_id, []).append(name)
    return [OpenRoom(room, tuple(by_room.get(room.id, ()))) for room in found]
