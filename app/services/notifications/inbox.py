"""Reading notifications: my list newest first, what each points at, read marks and mutes."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select, update

from app.database import utcnow
from app.extensions import db
from app.models import Notification, NotificationMute, Performance, Room, User
from app.services.errors import InvalidInput, NotFound
from app.services.notifications.kinds import LABELS, Kind, parse
from app.services.notifications.store import unread_count, upsert_statement

PER_PAGE = 30

__all__ = ["Entry", "entries", "mark_read", "muted_kinds", "one", "set_muted", "unread_count"]


@dataclass(frozen=True)
class Entry:
    """A notification with what it points at, ready to show."""

    notification: Notification
    kind: Kind
    actor: User | None
    room: Room | None

    @property
    def others(self) -> int:
        """How many people besides the named actor the row stands for."""
        return max(0, self.notification.actor_count - 1)

    @property
    def unread(self) -> bool:
        """Tell whether the recipient has not seen it yet."""
        return self.notification.read_at is None


def _rooms_for(rows: list[Notification]) -> dict[tuple[str, int], Room]:
    """Load the rooms the rows point at (directly or through a performance), two queries."""
    room_ids = {n.target_id for n in rows if n.target_type == "room"}
    performance_ids = {n.target_id for n in rows if n.target_type == "performance"}
    via_performance: dict[int, int] = {}
    if performance_ids:
        via_performance = dict(
            db.session.execute(
                select(Performance.id, Performance.room_id).where(
                    Performance.id.in_(performance_ids)
                )
            ).all()
        )
    wanted = room_ids | set(via_performance.values())
    rooms = (
        {r.id: r for r in db.session.scalars(select(Room).where(Room.id.in_(wanted)))}
        if wanted
        else {}
    )
    found: dict[tuple[str, int], Room] = {}
    for room_id in room_ids:
        if room_id in rooms:
            found[("room", room_id)] = rooms[room_id]
    for performance_id, room_id in via_performance.items():
        if room_id in rooms:
            found[("performance", performance_id)] = rooms[room_id]
    return found


def _entries(rows: list[Notification]) -> list[Entry]:
    """Attach targets to rows, dropping kinds this version does not know."""
    rooms = _rooms_for(rows)
    result = []
    for row in rows:
        kind = parse(row.kind)
        if kind is None:
            continue
        room = rooms.get((row.target_type, row.target_id))
        result.append(Entry(row, kind, row.actor, room))
    return result


def entries(user_id: int, page: int = 1, per_page: int = PER_PAGE) -> tuple[list[Entry], bool]:
    """Return a page of the user's notifications, newest first, and whether more follow."""
    page = max(1, int(page or 1))
    rows = list(
        db.session.scalars(
            select(Notification)
            .where(Notification.recipient_id == user_id)
            .order_by(Notification.updated_at.desc(), Notification.id.desc())
            .limit(per_page + 1)
            .offset((page - 1) * per_page)
        )
    )
    return _entries(rows[:per_page]), len(rows) > per_page


def unread_entries(user_id: int, limit: int = 5) -> list[Entry]:
    """Return the user's newest unread notifications (for the home page)."""
    rows = list(
        db.session.scalars(
            select(Notification)
            .where(Notification.recipient_id == user_id, Notification.read_at.is_(None))
            .order_by(Notification.updated_at.desc(), Notification.id.desc())
            .limit(limit)
        )
    )
    return _entries(rows)


def one(user_id: int, notification_id: int) -> Entry:
    """Return one of the user's notifications; someone else's is NotFound."""
    row = db.session.get(Notification, notification_id)
    if row is None or row.recipient_id != user_id:
        raise NotFound()
    found = _entries([row])
    if not found:
        raise NotFound()
    return found[0]


def mark_read(user_id: int, notification_ids: list[int]) -> int:
    """Mark these of the user's notifications read; return how many changed."""
    if not notification_ids:
        return 0
    result = db.session.execute(
        update(Notification)
        .where(
            Notification.recipient_id == user_id,
            Notification.id.in_(notification_ids),
            Notification.read_at.is_(None),
        )
        .values(read_at=utcnow())
    )
    db.session.commit()
    return int(result.rowcount or 0)


def muted_kinds(user_id: int) -> set[Kind]:
    """Return the kinds the user muted."""
    names = db.session.scalars(
        select(NotificationMute.kind).where(NotificationMute.user_id == user_id)
    )
    return {kind for kind in (parse(name) for name in names) if kind is not None}


def set_muted(user_id: int, wanted: list[str]) -> set[Kind]:
    """Replace the user's muted kinds with `wanted`; unknown names are refused whole."""
    kinds = {parse(name) for name in wanted}
    if None in kinds:
        raise InvalidInput(field="muted")
    db.session.execute(
        delete(NotificationMute).where(
            NotificationMute.user_id == user_id,
            NotificationMute.kind.not_in([k.value for k in kinds]),
        )
    )
    for kind in kinds:
        db.session.execute(
            upsert_statement(NotificationMute.__table__)
            .values(user_id=user_id, kind=kind.value)
            .on_conflict_do_nothing()
        )
    db.session.commit()
    return kinds  # type: ignore[return-value]


def kind_labels() -> list[tuple[Kind, object]]:
    """Return every kind with its settings label, in a stable order."""
    return list(LABELS.items())
