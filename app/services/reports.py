"""Reports: people flag a user, room, chat line, post or comment; moderators work the queue.

A person reports a thing once: reporting it again updates their reason and note.
The queue groups open reports by their target and shows the context a moderator
needs (for a chat line, the lines around it). Resolving a target closes every open
report on it with one action and note; posts and comments can be reported now and
resolved once their feature lands (see docs/safety.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import and_, exists, func, select, update
from sqlalchemy.exc import IntegrityError

from app.database import begin_write, utcnow
from app.extensions import db
from app.models import (
    Channel,
    ChannelKind,
    ChannelMember,
    Comment,
    Message,
    Post,
    Report,
    ReportStatus,
    ReportTarget,
    Room,
    RoomMember,
    User,
)
from app.services import moderation_actions, modlog, notifications
from app.services.errors import InvalidInput, NotFound
from app.services.sanctions import MAX_NOTE, REASONS, check_reason

# Targets whose tables live in features that may not be installed yet; checked by name.
CONTEXT_LINES = 5
QUEUE_LIMIT = 50


@dataclass
class QueueItem:
    """One reported target with its open reports and what the moderator needs to see."""

    target_type: ReportTarget
    target_id: int
    reports: list[Report] = field(default_factory=list)
    subject: object | None = None  # the User, Room or Message; None when gone or not loaded
    context: list[Message] = field(default_factory=list)

    @property
    def first_at(self) -> datetime:
        """When the oldest open report on this target came in."""
        return min(report.created_at for report in self.reports)


def parse_target(target_type: str, target_id: object) -> tuple[ReportTarget, int]:
    """Return a valid (type, id) pair from form input, else raise InvalidInput."""
    try:
        kind = ReportTarget(target_type)
    except ValueError:
        raise InvalidInput(field="target_type") from None
    text = str(target_id or "")
    if not text.isdigit() or not 0 < int(text) < 2**31:
        raise InvalidInput(field="target_id")
    return kind, int(text)


def _may_see_message(user_id: int, message: Message) -> bool:
    """Tell whether `user_id` can read the channel the message is in."""
    member = exists().where(
        ChannelMember.channel_id == message.channel_id, ChannelMember.user_id == user_id
    )
    if db.session.scalar(select(member)):
        return True
    channel = db.session.get(Channel, message.channel_id)
    if channel is None or channel.kind != ChannelKind.ROOM or channel.room_id is None:
        return False
    return bool(
        db.session.scalar(
            select(
                exists().where(RoomMember.room_id == channel.room_id, RoomMember.user_id == user_id)
            )
        )
    )


def check_target(reporter_id: int, kind: ReportTarget, target_id: int) -> None:
    """Raise NotFound unless the target exists and the reporter may see it; no self-reports."""
    if kind == ReportTarget.USER:
        if db.session.get(User, target_id) is None:
            raise NotFound()
        if target_id == reporter_id:
            raise InvalidInput(_("You cannot report yourself."))
    elif kind == ReportTarget.ROOM:
        if db.session.get(Room, target_id) is None:
            raise NotFound()
    elif kind == ReportTarget.MESSAGE:
        message = db.session.get(Message, target_id)
        if message is None or not _may_see_message(reporter_id, message):
            raise NotFound()
        if message.sender_id == reporter_id:
            raise InvalidInput(_("You cannot report yourself."))
    else:
        model = Post if kind == ReportTarget.POST else Comment
        author_id = db.session.scalar(select(model.author_id).where(model.id == target_id))
        if author_id is None:
            raise NotFound()
        if author_id == reporter_id:
            raise InvalidInput(_("You cannot report yourself."))


def file_report(
    reporter_id: int, target_type: str, target_id: object, reason: str, note: str = ""
) -> Report:
    """Store a report (or update the reporter's earlier one on the same target); commits."""
    begin_write()  # SQLite: serialise before the read, so a double tap cannot deadlock
    kind, number = parse_target(target_type, target_id)
    check_reason(reason)
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise InvalidInput(_("Notes are at most 500 characters."), field="note")
    check_target(reporter_id, kind, number)
    report = _existing(reporter_id, kind, number)
    if report is None:
        report = Report(
            reporter_id=reporter_id, target_type=kind, target_id=number, reason=reason, note=note
        )
        db.session.add(report)
        try:
            db.session.commit()
            return report
        except IntegrityError:
            # The same person's double submit raced us: theirs is the one report.
            db.session.rollback()
            report = _existing(reporter_id, kind, number)
    if report.status == ReportStatus.OPEN:
        report.reason, report.note = reason, note or report.note
    db.session.commit()
    return report


def _existing(reporter_id: int, kind: ReportTarget, target_id: int) -> Report | None:
    """Return the reporter's report on the target, if any."""
    return db.session.scalar(
        select(Report).where(
            Report.reporter_id == reporter_id,
            Report.target_type == kind,
            Report.target_id == target_id,
        )
    )


def open_count() -> int:
    """Return how many targets wait in the queue."""
    targets = (
        select(Report.target_type, Report.target_id)
        .where(Report.status == ReportStatus.OPEN)
        .distinct()
        .subquery()
    )
    return int(db.session.scalar(select(func.count()).select_from(targets)) or 0)


def queue(moderator_id: int, limit: int = QUEUE_LIMIT) -> list[QueueItem]:
    """Return open reports grouped by target, oldest first, with context. Moderators only."""
    modlog.require_moderator(moderator_id)
    reports = db.session.scalars(
        select(Report)
        .where(Report.status == ReportStatus.OPEN)
        .order_by(Report.created_at, Report.id)
    ).all()
    items: dict[tuple[ReportTarget, int], QueueItem] = {}
    for report in reports:
        key = (report.target_type, report.target_id)
        if key not in items:
            if len(items) >= limit:
                continue
            items[key] = QueueItem(report.target_type, report.target_id)
        items[key].reports.append(report)
    for item in items.values():
        _load_context(item)
    return list(items.values())


def _load_context(item: QueueItem) -> None:
    """Fill in the subject, and for a chat line the lines around it."""
    model = {
        ReportTarget.USER: User,
        ReportTarget.ROOM: Room,
        ReportTarget.MESSAGE: Message,
        ReportTarget.POST: Post,
        ReportTarget.COMMENT: Comment,
    }
    item.subject = db.session.get(model[item.target_type], item.target_id)
    if isinstance(item.subject, Message):
        item.context = message_context(item.subject)


def message_context(message: Message, lines: int = CONTEXT_LINES) -> list[Message]:
    """Return the message with up to `lines` lines before and after it, in order."""
    around = and_(
        Message.channel_id == message.channel_id,
        Message.seq.between(message.seq - lines, message.seq + lines),
    )
    return list(db.session.scalars(select(Message).where(around).order_by(Message.seq)))


def resolve(
    moderator_id: int,
    target_type: str,
    target_id: object,
    action: str,
    note: str = "",
    *,
    reason: str = "other",
    minutes: int | None = None,
    days: int | None = None,
    scope: str = "site",
    now: datetime | None = None,
) -> list[Report]:
    """Close every open report on a target with `action` and `note`; one commit, logged.

    The action runs in the same transaction (delete a chat line, time out or ban its
    author), then each reporter is told through `report_resolved`.
    """
    begin_write()
    modlog.require_moderator(moderator_id)
    kind, number = parse_target(target_type, target_id)
    note = (note or "").strip()[:MAX_NOTE]
    reports = db.session.scalars(
        select(Report)
        .where(
            Report.target_type == kind,
            Report.target_id == number,
            Report.status == ReportStatus.OPEN,
        )
        .with_for_update()
    ).all()
    if not reports:
        raise NotFound()
    moderation_actions.apply(
        moderator_id,
        kind,
        number,
        action,
        note,
        reason=reason,
        minutes=minutes,
        days=days,
        scope=scope,
        now=now,
    )
    now = now or utcnow()
    for report in reports:
        report.status = ReportStatus.RESOLVED
        report.resolution = action
        report.resolution_note = note
        report.resolved_by_id = moderator_id
        report.resolved_at = now
        report_resolved(report)
    modlog.record(moderator_id, f"resolve_{action}", kind.value, number, note)
    db.session.commit()
    return list(reports)


def report_resolved(report: Report) -> None:
    """Tell the reporter the outcome of their report: a notification now (live, listed),
    and the outcome itself as a notice on their next page (`outcomes_to_tell`)."""
    notifications.report_resolved(report.reporter_id, report.id)


def outcome_message(report: Report) -> str:
    """Return the sentence that tells a reporter what happened to their report."""
    if report.resolution == "dismiss":
        return _("Thanks for your report. We looked and found nothing against the rules.")
    return _("Thanks for your report. We took action on what you reported.")


def untold_outcomes_query(user_id: int):
    """An EXISTS that is true while `user_id` has outcomes not yet shown (one boolean), for
    callers that fold it into a bigger statement (the navigation badges)."""
    return exists().where(
        Report.reporter_id == user_id,
        Report.status == ReportStatus.RESOLVED,
        Report.reporter_told_at.is_(None),
    )


def outcomes_to_tell(user_id: int) -> list[str]:
    """Return the outcomes not yet shown to `user_id` and mark them shown; commits if any."""
    reports = db.session.scalars(
        select(Report).where(
            Report.reporter_id == user_id,
            Report.status == ReportStatus.RESOLVED,
            Report.reporter_told_at.is_(None),
        )
    ).all()
    if not reports:
        return []
    messages = [outcome_message(report) for report in reports]
    db.session.execute(
        update(Report)
        .where(Report.id.in_([report.id for report in reports]))
        .values(reporter_told_at=utcnow())
    )
    db.session.commit()
    return messages


def reason_choices() -> list[tuple[str, str]]:
    """Return the (key, label) pairs of the reason list, translated."""
    return [(key, str(label)) for key, label in REASONS.items()]
