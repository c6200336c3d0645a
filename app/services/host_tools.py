"""Host tools in a room's chat: time a person out of it, delete a line, slow mode.

The room's host uses them, and so may a site moderator (they keep order everywhere); the
author of a line may delete their own. Every check happens here, so the HTTP routes only
translate errors. A room timeout is a `ChatTimeout` with scope `room:<id>`, the same row
site moderators write, so the chat post refuses it inside its own statements
(app/services/chat/persist.py). Host actions go into the moderator log too, so moderators
can see how hosts use them.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from app.database import begin_write, utcnow
from app.extensions import db
from app.models import Channel, ChannelKind, ChatTimeout, Message, MessageKind, Room, User
from app.realtime.broadcast import broadcast
from app.realtime.events import CHAT_REMOVED
from app.services import modlog, sanctions
from app.services.chat.access import can_read
from app.services.errors import Forbidden, InvalidInput, NotFound
from app.services.rooms import NotHost
from app.services.stage import RoomNotFound, commit_stage, lock_room

# What the host's menus offer (minutes, seconds); the service refuses anything else.
TIMEOUT_MINUTES = (5, 60, 24 * 60)
SLOW_SECONDS = (0, 5, 10, 30, 60)


class NotYourLine(Forbidden):
    """Only the line's author, the room's host or a moderator may delete a line."""

    default_message = _l("You can only delete your own messages.")


def may_use_host_tools(actor_id: int | None, room: Room | None) -> bool:
    """Tell whether `actor_id` may use the host tools of `room` (its host, or a moderator)."""
    if actor_id is None or room is None:
        return False
    return room.host_id == actor_id or modlog.is_moderator(actor_id)


def _room_for_tools(actor_id: int, room_id: int) -> Room:
    """Return the room if `actor_id` may use its host tools; 404 or 403 otherwise."""
    room = db.session.get(Room, room_id)
    if room is None:
        raise RoomNotFound()
    if not may_use_host_tools(actor_id, room):
        raise NotHost()
    return room


def check_minutes(minutes: int | None) -> int:
    """Return `minutes` if the host's menu offers it, else raise InvalidInput."""
    if minutes not in TIMEOUT_MINUTES:
        raise InvalidInput(_("Choose how long the timeout lasts."), field="minutes")
    return minutes


def do_room_timeout(
    actor_id: int,
    room_id: int,
    user_id: int | None,
    reason: str,
    minutes: int | None,
    *,
    now: datetime | None = None,
) -> ChatTimeout:
    """Time `user_id` out of this room's chat for `minutes`, with a reason; commits, logged."""
    begin_write()
    room = _room_for_tools(actor_id, room_id)
    sanctions.check_reason(reason)
    minutes = check_minutes(minutes)
    if user_id is None or db.session.get(User, user_id) is None:
        raise NotFound(_("We could not find that person."))
    if user_id == actor_id:
        raise InvalidInput(_("You cannot time yourself out."))
    if user_id == room.host_id:
        raise InvalidInput(_("The host cannot be timed out of their own room."))
    now = now or utcnow()
    timeout = ChatTimeout(
        user_id=user_id,
        scope=sanctions.room_scope(room_id),
        reason=reason,
        note="",
        expires_at=now + timedelta(minutes=minutes),
        created_by_id=actor_id,
        created_at=now,
    )
    db.session.add(timeout)
    modlog.record(actor_id, "room_timeout", "user", user_id, f"room:{room_id} {minutes}m {reason}")
    db.session.commit()
    return timeout


def lift_room_timeouts(actor_id: int, room_id: int, user_id: int | None) -> int:
    """End every timeout of `user_id` in this room's chat now; return how many; commits."""
    begin_write()
    _room_for_tools(actor_id, room_id)
    if user_id is None:
        raise NotFound(_("We could not find that person."))
    now = utcnow()
    ended = db.session.execute(
        update(ChatTimeout)
        .where(
            ChatTimeout.user_id == user_id,
            ChatTimeout.scope == sanctions.room_scope(room_id),
            ChatTimeout.expires_at > now,
        )
        .values(expires_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if ended:
        modlog.record(actor_id, "room_timeout_lifted", "user", user_id, f"room:{room_id}")
    db.session.commit()
    return int(ended or 0)


def delete_room_line(
    actor_id: int, room_id: int, message_id: int, *, now: datetime | None = None
) -> Message:
    """Delete a line of this room's chat (its author, the host or a moderator); commits.

    The line keeps its number with `deleted_at` set, so nobody's sequence has a gap and a
    report about it keeps its context; every page then shows it as removed, and after commit
    `chat:removed` takes it out of every open chat.
    """
    begin_write()
    message = db.session.scalar(
        select(Message)
        .join(Channel, Channel.id == Message.channel_id)
        .where(
            Message.id == message_id,
            Channel.room_id == room_id,
            Channel.kind == ChannelKind.ROOM,
        )
    )
    if message is None or not (
        can_read(actor_id, message.channel_id) or modlog.is_moderator(actor_id)
    ):
        raise NotFound(_("We could not find that message."))
    if message.kind != MessageKind.USER:
        raise InvalidInput(_("That message cannot be deleted."))
    own = message.sender_id == actor_id
    if not own and not may_use_host_tools(actor_id, db.session.get(Room, room_id)):
        raise NotYourLine()
    if message.deleted_at is None:
        message.deleted_at = now or utcnow()
        if not own:
            modlog.record(actor_id, "room_delete_message", "message", message.id, f"room:{room_id}")
        broadcast(
            CHAT_REMOVED,
            {"channel_id": message.channel_id, "id": message.id, "seq": message.seq},
            f"channel:{message.channel_id}",
        )
    db.session.commit()
    return message


def set_slow_mode(actor_id: int, room_id: int, seconds: int | None) -> Room:
    """Set the room chat's slow mode (one line per `seconds` each; 0 = off); commits.

    The stage event tells every open page, whose next fetch shows the new setting.
    """
    if seconds not in SLOW_SECONDS:
        raise InvalidInput(_("Choose one of the slow mode settings."), field="seconds")
    room = lock_room(room_id)
    if not may_use_host_tools(actor_id, room):
        raise NotHost()
    if room.chat_slow_seconds == seconds:
        db.session.commit()
        return room
    room.chat_slow_seconds = seconds
    modlog.record(actor_id, "room_slow_mode", "room", room_id, f"{seconds}s")
    return commit_stage(room)
