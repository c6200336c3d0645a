"""Room invite links: one unguessable code per room, found by its digest, renewed by the host.

A code is 128 random bits (`secrets.token_urlsafe(16)`), so guessing one is hopeless, and
the lookup compares SHA-256 digests rather than the codes themselves, so how long a lookup
takes tells nothing about how close a guess was.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from app.database import utcnow
from app.extensions import db
from app.models import Room, RoomInvite, RoomStatus, User
from app.services.errors import NotFound
from app.services.rooms import NotHost, RoomNotFound, get_room

CODE_BYTES = 16
# token_urlsafe's alphabet; anything else cannot be a code and is refused before any query.
CODE_SHAPE = re.compile(r"^[A-Za-z0-9_-]{16,43}$")


class InviteNotFound(NotFound):
    """No live invite has this code (unknown, revoked, or its room is gone)."""


@dataclass(frozen=True)
class OpenedInvite:
    """What an invite link leads to: the room and its host."""

    room: Room
    host: User
    code: str


def digest(code: str) -> str:
    """Return the SHA-256 hex digest a code is stored and looked up by."""
    return hashlib.sha256(code.encode("ascii")).hexdigest()


def _new_invite(room_id: int, created_by: int) -> RoomInvite:
    """Build a fresh invite with a new random code."""
    code = secrets.token_urlsafe(CODE_BYTES)
    return RoomInvite(room_id=room_id, code=code, code_digest=digest(code), created_by=created_by)


def _live(room_id: int) -> RoomInvite | None:
    """Return the room's unrevoked invite, if it has one."""
    return db.session.scalar(
        select(RoomInvite).where(RoomInvite.room_id == room_id, RoomInvite.revoked_at.is_(None))
    )


def live_invite(room_id: int) -> RoomInvite:
    """Return the room's invite, creating it on first use (safe when two ask at once)."""
    room = get_room(room_id)
    if room.status == RoomStatus.CANCELLED:
        raise RoomNotFound()
    invite = _live(room_id)
    if invite is not None:
        return invite
    try:
        with db.session.begin_nested():
            invite = _new_invite(room_id, room.host_id)
            db.session.add(invite)
        db.session.commit()
    except IntegrityError:
        # Someone else created it in the same moment; theirs is the room's link.
        db.session.rollback()
        invite = _live(room_id)
        if invite is None:  # pragma: no cover  (the unique index guarantees a winner)
            raise
    return invite


def renew(room_id: int, actor_id: int) -> RoomInvite:
    """The host revokes the current link and gets a new one; the old code stops working."""
    room = get_room(room_id)
    if room.status == RoomStatus.CANCELLED:
        raise RoomNotFound()
    if room.host_id != actor_id:
        raise NotHost()
    db.session.execute(
        update(RoomInvite)
        .where(RoomInvite.room_id == room_id, RoomInvite.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    invite = _new_invite(room_id, actor_id)
    db.session.add(invite)
    try:
        db.session.commit()
    except IntegrityError:
        # A concurrent renewal won; its new link is the live one.
        db.session.rollback()
        invite = _live(room_id)
        if invite is None:  # pragma: no cover
            raise
    return invite


def open_invite(code: str) -> OpenedInvite:
    """Return the room behind a live code, or raise InviteNotFound."""
    if not isinstance(code, str) or not CODE_SHAPE.match(code):
        raise InviteNotFound()
    row = db.session.execute(
        select(RoomInvite, Room)
        .join(Room, Room.id == RoomInvite.room_id)
        .where(RoomInvite.code_digest == digest(code), RoomInvite.revoked_at.is_(None))
    ).first()
    if row is None or row.Room.status == RoomStatus.CANCELLED:
        raise InviteNotFound()
    invite, room = row
    if not secrets.compare_digest(invite.code, code):  # pragma: no cover  (digests matched)
        raise InviteNotFound()
    return OpenedInvite(room=room, host=db.session.get(User, room.host_id), code=invite.code)
