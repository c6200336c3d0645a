"""The stage as one viewer sees it, and the results of a finished show.

Reading the stage first applies any overdue deadline (app.services.deadlines), so a show
never looks stuck even when no worker is running. Scores stay blind: nothing here exposes
a score value, a count of a value or a running average before scoring closes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import cache
from typing import NamedTuple

from sqlalchemy import Integer, bindparam, func, select
from sqlalchemy.orm import joinedload

from app.database import utcnow
from app.extensions import db
from app.models import Performance, Phase, Room, RoomMember, RoomStatus, Score, User
from app.services import attendance, deadlines, presence
from app.services.rooms import select_present_members, visible_room
from app.services.scoring import Calibration, calibration, is_trimmed

# The rows a stage shows are named tuples, not dataclasses: kept fragments use whole lists
# of them as keys (app/fragment_cache.py), and tuples hash and compare in C, where a
# dataclass's __eq__ ran Python code for every row of a hundred-row results table.


class Person(NamedTuple):
    """Someone as a stage row shows them: a name, a picture, a value for a form."""

    id: int
    username: str
    display_name: str
    avatar_filename: str | None


class ClosedTurn(NamedTuple):
    """A performance whose scoring has closed, as the member list and the results show it."""

    id: int
    performer_id: int
    turn: int
    average: Decimal | None
    claps: int
    mirror_balls: int
    score_count: int
    performer: Person


class Seat(NamedTuple):
    """A seated member as read for the stage: who, whether they performed, when last seen."""

    person: Person
    has_performed: bool
    last_seen_at: datetime | None


class MemberRow(NamedTuple):
    """A member as the stage shows them."""

    user: Person
    is_host: bool
    on_air: bool
    has_performed: bool
    average: Decimal | None
    online: bool
    has_scored: bool


class ResultRow(NamedTuple):
    """One line of the results table."""

    rank: int | None
    performer: Person
    performance: ClosedTurn
    score_count: int

    @property
    def trimmed(self) -> bool:
        """Tell whether this average dropped the highest and the lowest score."""
        return is_trimmed(self.score_count)


@dataclass(frozen=True)
class Stage:
    """Everything the stage fragment shows to one viewer, with what they may do."""

    room: Room
    viewer_id: int | None
    is_member: bool
    is_host: bool
    members: tuple[MemberRow, ...]  # a tuple: the member list is kept by its rows
    watching: int  # logged-in people following the room live without a seat
    performance: Performance | None
    scored_count: int
    eligible_count: int
    has_scored: bool
    nominees: list[Person]
    results: tuple[ResultRow, ...]  # a tuple: the page keeps the table by its rows
    calibration: list[Calibration]  # the host's view after the show; empty for others
    last_closed: ClosedTurn | None  # the most recent turn whose scoring closed
    seconds_left: int | None  # of the phase's clock, running or paused
    paused: bool
    can_join: bool
    can_leave: bool
    can_start: bool
    can_end_turn: bool
    can_nominate: bool
    can_score: bool
    can_close_scoring: bool
    can_finish: bool
    can_react: bool
    can_manage: bool  # the host may pause/extend, remove members and hand over

    @property
    def podium(self) -> list[ResultRow]:
        """Return the top three ranked results."""
        return [row for row in self.results if row.rank is not None][:3]

    @property
    def is_spectator(self) -> bool:
        """Tell whether the viewer is logged in and watching without a seat."""
        return self.viewer_id is not None and not self.is_member


# The stage is read on every push to every open tab, so its statements are built once with
# bound parameters: building them anew cost about as much CPU as PostgreSQL took to answer.
# Its two long lists (the members and the closed turns) are read as plain columns: loading
# a hundred ORM objects a read cost more than rendering them.
_ROOM_ID = bindparam("room_id", type_=Integer)
_PERSON = (User.id, User.username, User.display_name, User.avatar_filename)


@cache
def _seated_statement():
    """The members holding a seat, longest-waiting first, as people, with the page load
    that last marked each present (so neither the viewer's own seat nor who is here needs
    a read of its own)."""
    return select_present_members(RoomMember.has_performed, RoomMember.last_seen_at, *_PERSON).join(
        User, User.id == RoomMember.user_id
    )


@cache
def _closed_statement():
    """The room's closed performances in turn order, with their score counts and performers.

    The count rides along as a subquery on the unique (performance, scorer) index: a
    finished room's results need it, and a statement of its own cost more than the count.
    """
    score_count = (
        select(func.count(Score.id))
        .where(Score.performance_id == Performance.id)
        .correlate(Performance)
        .scalar_subquery()
    )
    return (
        select(
            Performance.id,
            Performance.performer_id,
            Performance.turn,
            Performance.average,
            Performance.claps,
            Performance.mirror_balls,
            score_count,
            *_PERSON,
        )
        .join(User, User.id == Performance.performer_id)
        .where(Performance.room_id == _ROOM_ID, Performance.phase == Phase.CLOSED)
        .order_by(Performance.turn)
    )


@cache
def _current_statement():
    """The performance on stage, with its performer and the nominee."""
    return (
        select(Performance)
        .options(joinedload(Performance.performer), joinedload(Performance.next_performer))
        .where(Performance.id == bindparam("performance_id", type_=Integer))
    )


@cache
def _scorers_statement():
    """Who has scored the performance (never what they gave)."""
    return select(Score.scorer_id).where(
        Score.performance_id == bindparam("performance_id", type_=Integer)
    )


def _seated(room_id: int) -> list[Seat]:
    """Return each seated member with whether they have performed, longest-waiting first."""
    rows = db.session.execute(_seated_statement(), {"room_id": room_id})
    return [Seat(Person(*row[2:]), row[0], row[1]) for row in rows]


def _seen_now(room_id: int, viewer_id: int, seats: list[Seat]) -> list[Seat]:
    """Mark the viewer's own seat, if they hold one, as seen by this page load."""
    for n, seat in enumerate(seats):
        if seat.person.id == viewer_id:
            seen = attendance.touch_seat(room_id, viewer_id, seat.last_seen_at)
            return [*seats[:n], seat._replace(last_seen_at=seen), *seats[n + 1 :]]
    return seats


def closed_performances(room_id: int) -> list[ClosedTurn]:
    """Return the room's closed performances in turn order, with their performers."""
    rows = db.session.execute(_closed_statement(), {"room_id": room_id})
    return [ClosedTurn(*row[:7], performer=Person(*row[7:])) for row in rows]


def results(room_id: int, closed: list[ClosedTurn] | None = None) -> list[ResultRow]:
    """Return the closed performances, best average first; ties share a rank.

    `closed` is closed_performances(room_id) when the caller has read it already.
    """
    performances = list(closed) if closed is not None else closed_performances(room_id)
    performances.sort(key=lambda p: (p.average is None, -(p.average or 0), p.turn))
    rows: list[ResultRow] = []
    rank = 0
    previous: Decimal | None = None
    for position, performance in enumerate(performances, start=1):
        if performance.average is None:
            this_rank = None
        else:
            if performance.average != previous:
                rank = position
                previous = performance.average
            this_rank = rank
        rows.append(
            ResultRow(
                rank=this_rank,
                performer=performance.performer,
                performance=performance,
                score_count=performance.score_count,
            )
        )
    return rows


def _seconds_left(room: Room, now: datetime) -> int | None:
    """Return the whole seconds left on the room's clock, or None without a clock."""
    if room.paused_seconds_left is not None:
        return room.paused_seconds_left
    if room.deadline_at is None or room.status != RoomStatus.LIVE:
        return None
    return max(0, int((room.deadline_at - now).total_seconds() + 0.999))


def stage_for(room_id: int, viewer_id: int | None) -> Stage:
    """Return the stage as `viewer_id` sees it, with the actions they may take now."""
    room = visible_room(room_id, viewer_id)
    members = _seated(room.id)
    if viewer_id is not None:
        members = _seen_now(room_id, viewer_id, members)
    if deadlines.apply_due(room_id):
        room = db.session.get(Room, room_id, populate_existing=True)
        members = _seated(room.id)
    member_ids = {seat.person.id for seat in members}
    is_member = viewer_id is not None and viewer_id in member_ids
    is_host = is_member and room.host_id == viewer_id
    live = room.status == RoomStatus.LIVE
    performance = None
    if room.current_performance_id is not None:
        performance = db.session.scalar(
            _current_statement(), {"performance_id": room.current_performance_id}
        )
    closed = closed_performances(room.id)
    averages: dict[int, Decimal | None] = {p.performer_id: p.average for p in closed}
    scorer_ids: set[int] = set()
    if performance is not None and performance.phase == Phase.SCORING:
        scorer_ids = set(
            db.session.scalars(_scorers_statement(), {"performance_id": performance.id})
        )
    # Sockets are watched for everyone still in the room, finished shows included.
    online = set(presence.online_user_ids(room.id))
    seats = ((seat.person.id, seat.last_seen_at) for seat in members)
    here = attendance.present_among(seats, online) if live else set()
    on_air_id = (
        performance.performer_id
        if live and performance is not None and performance.phase == Phase.ON_AIR
        else None
    )
    rows = [
        MemberRow(
            user=person,
            is_host=person.id == room.host_id,
            on_air=person.id == on_air_id,
            has_performed=performed and person.id != on_air_id,
            average=averages.get(person.id),
            online=person.id in online,
            has_scored=person.id in scorer_ids,
        )
        for person, performed, _seen in members
    ]
    phase = performance.phase if (live and performance is not None) else None
    is_performer = performance is not None and performance.performer_id == viewer_id
    performer_or_host = is_member and (is_performer or is_host)
    eligible = (here - {performance.performer_id}) if performance is not None else set()
    has_scored = viewer_id in scorer_ids
    nominees = [person for person, performed, _seen in members if not performed] if live else []
    finished = room.status == RoomStatus.FINISHED
    return Stage(
        room=room,
        viewer_id=viewer_id,
        is_member=is_member,
        is_host=is_host,
        members=tuple(rows),
        watching=len(online - member_ids),
        performance=performance,
        scored_count=len(scorer_ids),
        eligible_count=max(len(eligible | scorer_ids), len(scorer_ids)),
        has_scored=has_scored,
        nominees=nominees,
        results=tuple(results(room.id, closed)) if finished else (),
        calibration=calibration(room.id) if finished and room.host_id == viewer_id else [],
        last_closed=closed[-1] if closed else None,
        seconds_left=_seconds_left(room, utcnow()) if live else None,
        paused=live and room.paused_seconds_left is not None,
        can_join=(
            viewer_id is not None
            and not is_member
            and room.status == RoomStatus.LOBBY
            and room.seats_taken < room.capacity
        ),
        can_leave=is_member and room.status in (RoomStatus.LOBBY, RoomStatus.LIVE),
        can_start=is_host and room.status == RoomStatus.LOBBY and len(members) >= 2,
        can_end_turn=performer_or_host and phase == Phase.ON_AIR,
        can_nominate=performer_or_host and phase is not None and bool(nominees),
        can_score=(is_member and phase == Phase.SCORING and not is_performer and not has_scored),
        can_close_scoring=is_host and phase == Phase.SCORING,
        can_finish=is_host and live,
        can_react=viewer_id is not None and phase == Phase.ON_AIR and not is_performer,
        can_manage=is_host and room.status in (RoomStatus.LOBBY, RoomStatus.LIVE),
    )
