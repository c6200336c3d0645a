"""What a moderator can do to a reported target: dismiss, delete, time out, ban.

`apply` runs inside the caller's transaction (reports.resolve commits once), so the
action, the closed reports and the log entry are written together or not at all.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from app.database import begin_write, utcnow
from app.extensions import db
from app.models import Channel, ChannelKind, Comment, Message, Post, ReportTarget, Room
from app.realtime.broadcast import broadcast
from app.realtime.events import CHAT_REMOVED
from app.services import modlog, sanctions
from app.services.errors import InvalidInput, NotFound
from app.services.posts import comments as post_comments
from app.services.posts import writing as post_writing

ACTIONS = ("dismiss", "delete", "timeout", "ban")
# Targets whose content a moderator can delete (a user or a room is sanctioned, not deleted).
DELETABLE = (ReportTarget.MESSAGE, ReportTarget.POST, ReportTarget.COMMENT)
# Targets whose person (the user, the host, the author) can be timed out or banned: all.
ACTIONABLE = tuple(ReportTarget)


def apply(
    moderator_id: int,
    kind: ReportTarget,
    target_id: int,
    action: str,
    note: str = "",
    *,
    reason: str = "other",
    minutes: int | None = None,
    days: int | None = None,
    scope: str = "site",
    now: datetime | None = None,
) -> None:
    """Carry out `action` on the target without committing. Moderators only."""
    modlog.require_moderator(moderator_id)
    if action not in ACTIONS:
        raise InvalidInput(field="action")
    if action == "dismiss":
        return
    if action == "delete":
        if kind not in DELETABLE:
            raise InvalidInput(_("Only chat lines, posts and comments can be deleted."))
        if kind == ReportTarget.MESSAGE:
            delete_message(moderator_id, target_id, commit=False, now=now)
        elif kind == ReportTarget.POST:
            delete_post(moderator_id, target_id)
        else:
            delete_comment(moderator_id, target_id)
        return
    person_id, room_id = _person_and_room(kind, target_id)
    if action == "timeout":
        if minutes is None:
            raise InvalidInput(_("Choose how long the timeout lasts."), field="minutes")
        chat_scope = sanctions.room_scope(room_id) if scope == "room" and room_id else "site"
        sanctions.do_timeout(
            moderator_id,
            person_id,
            reason,
            minutes,
            scope=chat_scope,
            note=note,
            now=now,
            commit=False,
        )
    else:
        sanctions.do_ban(moderator_id, person_id, reason, days, note=note, now=now, commit=False)


def _person_and_room(kind: ReportTarget, target_id: int) -> tuple[int, int | None]:
    """Return who answers for the target (the user, the line's author, the room's host)."""
    if kind == ReportTarget.USER:
        return target_id, None
    if kind == ReportTarget.ROOM:
        room = db.session.get(Room, target_id)
        if room is None:
            raise NotFound()
        return room.host_id, room.id
    if kind in (ReportTarget.POST, ReportTarget.COMMENT):
        model = Post if kind == ReportTarget.POST else Comment
        author_id = db.session.scalar(select(model.author_id).where(model.id == target_id))
        if author_id is None:
            raise NotFound()
        return author_id, None
    message = db.session.get(Message, target_id)
    if message is None or message.sender_id is None:
        raise NotFound()
    room_id = db.session.scalar(
        select(Channel.room_id).where(
            Channel.id == message.channel_id, Channel.kind == ChannelKind.ROOM
        )
    )
    return message.sender_id, room_id


def delete_message(
    actor_id: int, message_id: int, *, commit: bool = True, now: datetime | None = None
) -> Message:
    """Mark a chat line deleted and, after commit, remove it from every open chat. Logged."""
    if commit:
        begin_write()
    modlog.require_moderator(actor_id)
    message = db.session.get(Message, message_id)
    if message is None:
        raise NotFound()
    if message.deleted_at is None:
        message.deleted_at = now or utcnow()
        modlog.record(actor_id, "delete_message", "message", message.id, "")
        broadcast(
            CHAT_REMOVED,
            {"channel_id": message.channel_id, "id": message.id, "seq": message.seq},
            f"channel:{message.channel_id}",
        )
    if commit:
        db.session.commit()
    return message


def delete_post(actor_id: int, post_id: int) -> None:
    """Delete a reported post (its comments, likes and, after commit, photos). Logged."""
    modlog.require_moderator(actor_id)
    post_writing.remove_post(post_writing.get_post(post_id), commit=False)
    modlog.record(actor_id, "delete_post", "post", post_id, "")


def delete_comment(actor_id: int, comment_id: int) -> None:
    """Delete a reported comment and its replies, keeping the post's count right. Logged."""
    modlog.require_moderator(actor_id)
    post_comments.remove_comment(post_comments.get_comment(comment_id), commit=False)
    modlog.record(actor_id, "delete_comment", "comment", comment_id, "")
