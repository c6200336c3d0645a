"""Blocks between people: who blocked whom, and the checks other features ask.

A block works both ways: neither person appears in the other's lists, searches, feeds or
notifications, neither can follow or message the other, the blocked person cannot see the
blocker's posts or join or watch their rooms, and each one's chat lines are hidden from the
other. Blocking removes any follow between the two (either way), as the big social apps do;
everything else is a filter, so unblocking restores it.
"""

from __future__ import annotations

from functools import cache

from flask_babel import lazy_gettext as _l
from sqlalchemy import Integer, bindparam, delete, false, or_, select, union
from sqlalchemy.exc import IntegrityError

from app.database import begin_write
from app.extensions import db
from app.models import Block, Channel, Follow, Room, RoomStatus, User
from app.realtime import socket_actions
from app.services.errors import Forbidden, InvalidInput, NotFound


class CannotBlockSelf(InvalidInput):
    """Nobody blocks themselves."""

    default_message = _l("You cannot block yourself.")


class BlockedBetween(Forbidden):
    """One of the two people blocked the other, so this is refused."""

    default_message = _l("You cannot do that with this person.")


def block(blocker_id: int, blocked_id: int) -> bool:
    """Block `blocked_id`, ending any follow between the two; return True when the block
    is new (again is fine). Commits."""
    if blocker_id == blocked_id:
        raise CannotBlockSelf()
    begin_write()
    if db.session.get(User, blocked_id) is None:
        raise NotFound()
    if has_blocked(blocker_id, blocked_id):
        return False
    db.session.execute(
        delete(Follow).where(
            or_(
                (Follow.follower_id == blocker_id) & (Follow.followed_id == blocked_id),
                (Follow.follower_id == blocked_id) & (Follow.followed_id == blocker_id),
            )
        )
    )
    db.session.add(Block(blocker_id=blocker_id, blocked_id=blocked_id))
    _stop_watching_each_other(blocker_id, blocked_id)
    try:
        db.session.commit()
    except IntegrityError:
        # A double click raced us to the same row: the block exists, as asked.
        db.session.rollback()
        return False
    return True


def _stop_watching_each_other(a: int, b: int) -> None:
    """Take each person's open sockets out of the other's open rooms and their chats, on
    every web process once the block commits (a page open before the block stops hearing)."""
    rooms = db.session.execute(
        select(Room.id, Room.host_id, Channel.id)
        .outerjoin(Channel, Channel.room_id == Room.id)
        .where(
            Room.host_id.in_((a, b)),
            Room.status.in_((RoomStatus.LOBBY, RoomStatus.LIVE)),
        )
    ).all()
    for room_id, host_id, channel_id in rooms:
        other = b if host_id == a else a
        socket_actions.queue(socket_actions.leave_room(other, f"room:{room_id}"))
        if channel_id is not None:
            socket_actions.queue(socket_actions.leave_room(other, f"channel:{channel_id}"))


def unblock(blocker_id: int, blocked_id: int) -> bool:
    """Remove the block; return True when one was removed. Commits."""
    if blocker_id == blocked_id:
        raise CannotBlockSelf()
    begin_write()
    result = db.session.execute(
        delete(Block).where(Block.blocker_id == blocker_id, Block.blocked_id == blocked_id)
    )
    db.session.commit()
    return bool(result.rowcount)


def has_blocked_clause(blocker_id, blocked_id):
    """EXISTS: `blocker_id` blocked `blocked_id` (columns or bound parameters), for callers
    that fold the question into a bigger statement (a profile's follow state)."""
    return (
        select(Block.blocker_id)
        .where(Block.blocker_id == blocker_id, Block.blocked_id == blocked_id)
        .exists()
    )


def in_block_clause(a, b):
    """EXISTS either way: `a` blocked `b` or `b` blocked `a` (columns or bound parameters),
    for callers that fold the question into a bigger statement (a room page's room)."""
    return or_(has_blocked_clause(a, b), has_blocked_clause(b, a))


def has_blocked(blocker_id: int | None, blocked_id: int) -> bool:
    """Tell whether `blocker_id` blocked `blocked_id` (False for visitors)."""
    if blocker_id is None:
        return False
    return bool(db.session.scalar(select(has_blocked_clause(blocker_id, blocked_id))))


@cache
def _between_statement():
    """Either of `:a` and `:b` blocked the other; built once (every room view asks)."""
    a, b = bindparam("a", type_=Integer), bindparam("b", type_=Integer)
    return select(Block.blocker_id).where(
        or_(
            (Block.blocker_id == a) & (Block.blocked_id == b),
            (Block.blocker_id == b) & (Block.blocked_id == a),
        )
    )


def is_blocked_between(a: int | None, b: int | None) -> bool:
    """Tell whether either person blocked the other (False when either is a visitor)."""
    if a is None or b is None or a == b:
        return False
    return db.session.scalar(_between_statement(), {"a": a, "b": b}) is not None


def check_not_blocked(actor_id: int, other_id: int) -> None:
    """Raise BlockedBetween when either person blocked the other (follow, DM)."""
    if is_blocked_between(actor_id, other_id):
        raise BlockedBetween()


def check_can_join_room(user_id: int, room_id: int) -> None:
    """Raise BlockedBetween when the room's host and `user_id` blocked one another."""
    host_id = db.session.scalar(select(Room.host_id).where(Room.id == room_id))
    if host_id is not None:
        check_not_blocked(user_id, host_id)


def hidden_from(user_id: int | None):
    """Return a subquery of the ids `user_id` blocked or was blocked by (for NOT IN)."""
    if user_id is None:
        return select(Block.blocked_id).where(false())  # an empty set for visitors
    both = union(
        select(Block.blocked_id.label("id")).where(Block.blocker_id == user_id),
        select(Block.blocker_id.label("id")).where(Block.blocked_id == user_id),
    ).subquery()
    return select(both.c.id)


@cache
def blocked_ids_statement():
    """Everyone in a block with `:user_id`, either way; built once (every room page asks)."""
    return hidden_from(bindparam("user_id", type_=Integer))


def blocked_ids(user_id: int | None) -> set[int]:
    """Return every id in a block with `user_id`, either way (e.g. to hide their chat lines)."""
    if user_id is None:
        return set()
    return set(db.session.scalars(blocked_ids_statement(), {"user_id": user_id}))


def blocked_by(user_id: int) -> list[User]:
    """Return the people `user_id` blocked, newest first (for the settings page)."""
    return list(
        db.session.scalars(
            select(User)
            .join(Block, Block.blocked_id == User.id)
            .where(Block.blocker_id == user_id)
            .order_by(Block.created_at.desc())
        )
    )
