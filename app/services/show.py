"""The live show: turns on air, nominations, peer scores, averages, results and reactions.

Every stage change happens with the room row locked (BEGIN IMMEDIATE on SQLite, SELECT …
FOR UPDATE on PostgreSQL), bumps `room.version` once and queues exactly one `stage`
event, which goes out after the commit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from app.database import begin_write, utcnow
from app.extensions import db
from app.models import Performance, Phase, Room, RoomMember, RoomStatus, Score, User
from app.realtime.broadcast import broadcast
from app.realtime.events import REACTION
from app.services import notifications, presence
from app.services.errors import Conflict, Forbidden, InvalidInput
from app.services.rooms import (
    NotHost,
    NotMember,
    RoomNotFound,
    bump_version,
    membership,
    present_members,
    visible_room,
)

SCORE_MIN, SCORE_MAX = 1, 10
_SCORE_TEXT = re.compile(r"(?:10|[1-9])")
# Reaction kind → the Performance column that counts it.
REACTION_COLUMNS: dict[str, str] = {"clap": "claps", "mirror_ball": "mirror_balls"}
TWO_PLACES = Decimal("0.01")


class ShowNotLive(Conflict):
    """The room is not live (still in the lobby, or already over)."""

    default_message = _l("The show is not live.")


class AlreadyStarted(Conflict):
    """The host tried to start a show that has started."""

    default_message = _l("The show has already started.")


class NotEnoughMembers(Conflict):
    """A show needs at least two people."""

    default_message = _l("A show needs at least 2 members. Wait for someone to join.")


class NotPerformerOrHost(Forbidden):
    """Only the performer on stage or the host may do this."""

    default_message = _l("Only the performer or the host can do that.")


class WrongPhase(Conflict):
    """The performance is not in the phase this action needs."""

    default_message = _l("That is not possible at this point of the turn.")


class CannotScoreYourself(Forbidden):
    """Performers never score their own performance."""

    default_message = _l("You cannot score your own performance.")


class AlreadyScored(Conflict):
    """The member has scored this performance already."""

    default_message = _l("You have already scored this performance.")


class InvalidScore(InvalidInput):
    """A score is a whole number from 1 to 10."""

    default_message = _l("Scores are whole numbers from 1 to 10.")


class InvalidNominee(InvalidInput):
    """The nominee is not a member of this room."""

    default_message = _l("Pick someone from this room.")


class NomineeNotEligible(Conflict):
    """The nominee has performed already, or has left."""

    default_message = _l("That person cannot go on stage next.")


class NobodyOnAir(Conflict):
    """Reactions need someone on air."""

    default_message = _l("Nobody is on air right now.")


class InvalidReaction(InvalidInput):
    """Only claps and mirror balls exist."""

    default_message = _l("That reaction does not exist.")


@dataclass(frozen=True)
class MemberRow:
    """A member as the stage shows them."""

    user: User
    is_host: bool
    on_air: bool
    has_performed: bool
    average: Decimal | None
    online: bool
    has_scored: bool


@dataclass(frozen=True)
class ResultRow:
    """One line of the results table."""

    rank: int | None
    performer: User
    performance: Performance
    score_count: int


@dataclass(frozen=True)
class Stage:
    """Everything the stage fragment shows to one viewer, with what they may do."""

    room: Room
    viewer_id: int | None
    is_member: bool
    is_host: bool
    members: list[MemberRow]
    performance: Performance | None
    scored_count: int
    eligible_count: int
    has_scored: bool
    nominees: list[User]
    results: list[ResultRow]
    last_closed: Performance | None  # the most recent turn whose scoring closed
    can_join: bool
    can_leave: bool
    can_start: bool
    can_end_turn: bool
    can_nominate: bool
    can_score: bool
    can_close_scoring: bool
    can_finish: bool
    can_react: bool

    @property
    def podium(self) -> list[ResultRow]:
        """Return the top three ranked results."""
        return [row for row in self.results if row.rank is not None][:3]


def parse_score(raw: object) -> int:
    """Return `raw` as a score 1–10; only a plain decimal integer string (or int) passes."""
    if isinstance(raw, bool):
        raise InvalidScore()
    if isinstance(raw, int):
        if SCORE_MIN <= raw <= SCORE_MAX:
            return raw
        raise InvalidScore()
    if not isinstance(raw, str) or not _SCORE_TEXT.fullmatch(raw.strip()):
        raise InvalidScore()
    return int(raw.strip())


def average_of(values: list[int]) -> Decimal | None:
    """Return the mean of `values` rounded half-up to 2 decimals, or None when empty."""
    if not values:
        return None
    return (Decimal(sum(values)) / Decimal(len(values))).quantize(TWO_PLACES, ROUND_HALF_UP)


# --- transitions -------------------------------------------------------------------------


def _lock_room(room_id: int) -> Room:
    """Open a write transaction holding the room row, and return the fresh room."""
    begin_write()
    room = db.session.scalar(
        select(Room)
        .where(Room.id == room_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if room is None or room.status == RoomStatus.CANCELLED:
        raise RoomNotFound()
    return room


def _require_member(room: Room, user_id: int) -> RoomMember:
    """Return the actor's seat, or raise NotMember."""
    member = membership(room.id, user_id)
    if member is None or member.left_at is not None:
        raise NotMember()
    return member


def _require_live(room: Room) -> Performance:
    """Return the current performance of a live room, or raise ShowNotLive."""
    if room.status != RoomStatus.LIVE or room.current_performance_id is None:
        raise ShowNotLive()
    performance = db.session.get(Performance, room.current_performance_id, populate_existing=True)
    if performance is None:  # pragma: no cover  (the FK keeps it)
        raise ShowNotLive()
    return performance


def _commit_stage(room: Room) -> Room:
    """Bump the version, queue the one stage event, commit, and return the room."""
    db.session.flush()
    bump_version(room.id)
    db.session.commit()
    return db.session.get(Room, room.id, populate_existing=True)


def _candidates(room_id: int) -> list[RoomMember]:
    """Return present members who have not performed yet, longest-waiting first."""
    return list(
        db.session.scalars(
            select(RoomMember)
            .options(joinedload(RoomMember.user))
            .where(
                RoomMember.room_id == room_id,
                RoomMember.left_at.is_(None),
                RoomMember.has_performed.is_(False),
            )
            .order_by(RoomMember.joined_at, RoomMember.id)
        )
    )


def _go_on_air(room: Room, member: RoomMember) -> Performance:
    """Put `member` on air as the next turn."""
    last_turn = db.session.scalar(
        select(func.max(Performance.turn)).where(Performance.room_id == room.id)
    )
    performance = Performance(
        room_id=room.id,
        performer_id=member.user_id,
        turn=(last_turn or 0) + 1,
        phase=Phase.ON_AIR,
        category=room.category,
        started_at=utcnow(),
    )
    db.session.add(performance)
    db.session.flush()
    room.current_performance_id = performance.id
    member.has_performed = True
    notifications.went_on_air(performance)
    return performance


def _score_values(performance_id: int) -> list[int]:
    """Return the scores a performance received."""
    return list(
        db.session.scalars(select(Score.value).where(Score.performance_id == performance_id))
    )


def _close(room: Room, performance: Performance) -> None:
    """Close scoring: store the average and whether it counts toward rankings."""
    now = utcnow()
    performance.average = average_of(_score_values(performance.id))
    performance.phase = Phase.CLOSED
    performance.ended_at = performance.ended_at or now
    performance.closed_at = now
    performance.category = room.category
    performance.counts_toward_ranking = room.is_ranked and performance.average is not None
    notifications.results_in(performance)


def _advance(room: Room, performance: Performance) -> None:
    """After scoring closed: the nominee goes on air, or the show ends when nobody is left."""
    if performance.next_performer_id is not None:
        nominee = membership(room.id, performance.next_performer_id)
        if nominee is not None and nominee.left_at is None and not nominee.has_performed:
            _go_on_air(room, nominee)
            return
    if not _candidates(room.id):
        _finish(room)


def _finish(room: Room) -> None:
    """End the show: close whatever is on stage and mark the room finished."""
    if room.current_performance_id is not None:
        current = db.session.get(Performance, room.current_performance_id)
        if current is not None and current.phase != Phase.CLOSED:
            _close(room, current)
    room.status = RoomStatus.FINISHED
    room.finished_at = utcnow()


def _eligible_scorer_ids(room_id: int, performer_id: int) -> set[int]:
    """Return the present members who may score this performer."""
    return {
        m.user_id
        for m in db.session.scalars(
            select(RoomMember).where(RoomMember.room_id == room_id, RoomMember.left_at.is_(None))
        )
        if m.user_id != performer_id
    }


def _close_when_everyone_scored(room: Room, performance: Performance) -> None:
    """Close scoring (and move on) once every eligible scorer has scored."""
    eligible = _eligible_scorer_ids(room.id, performance.performer_id)
    scored = set(
        db.session.scalars(select(Score.scorer_id).where(Score.performance_id == performance.id))
    )
    if eligible <= scored:
        _close(room, performance)
        _advance(room, performance)


def start_show(room_id: int, actor_id: int, first_performer_id: int | None = None) -> Room:
    """Go live with at least 2 members; the host's pick (the host by default) goes on air."""
    room = _lock_room(room_id)
    _require_member(room, actor_id)
    if room.host_id != actor_id:
        raise NotHost(_l("Only the host can start the show."))
    if room.status != RoomStatus.LOBBY:
        raise AlreadyStarted()
    members = present_members(room.id)
    if len(members) < 2:
        raise NotEnoughMembers()
    first_id = actor_id if first_performer_id is None else first_performer_id
    first = next((m for m in members if m.user_id == first_id), None)
    if first is None:
        raise InvalidNominee(_l("The first performer must be a member of this room."))
    room.status = RoomStatus.LIVE
    room.started_at = utcnow()
    _go_on_air(room, first)
    return _commit_stage(room)


def end_turn(room_id: int, actor_id: int) -> Room:
    """End the performance on air; scoring opens (and closes at once if nobody can score)."""
    room = _lock_room(room_id)
    _require_member(room, actor_id)
    performance = _require_live(room)
    if actor_id not in (performance.performer_id, room.host_id):
        raise NotPerformerOrHost()
    if performance.phase != Phase.ON_AIR:
        raise WrongPhase(_l("This turn has already ended."))
    performance.phase = Phase.SCORING
    performance.ended_at = utcnow()
    db.session.flush()
    notifications.turn_ended(performance)
    _close_when_everyone_scored(room, performance)
    return _commit_stage(room)


def nominate(room_id: int, actor_id: int, nominee_id: int) -> Room:
    """Choose who performs next: the performer or the host picks a member yet to perform."""
    room = _lock_room(room_id)
    _require_member(room, actor_id)
    performance = _require_live(room)
    if actor_id not in (performance.performer_id, room.host_id):
        raise NotPerformerOrHost(_l("Only the performer or the host can nominate."))
    nominee = membership(room.id, nominee_id)
    if nominee is None:
        raise InvalidNominee()
    if nominee.left_at is not None:
        raise NomineeNotEligible(_l("That person has left the room."))
    if nominee.has_performed:
        raise NomineeNotEligible(_l("That person has performed already."))
    performance.next_performer_id = nominee_id
    notifications.performer_nominated(performance, actor_id)
    if performance.phase == Phase.CLOSED:
        # Scoring closed with nobody nominated: the nominee goes straight on air.
        _go_on_air(room, nominee)
    return _commit_stage(room)


def score(room_id: int, actor_id: int, value: object) -> Room:
    """Record the actor's 1–10 score of the performance being scored, once."""
    points = parse_score(value)
    room = _lock_room(room_id)
    _require_member(room, actor_id)
    performance = _require_live(room)
    if performance.performer_id == actor_id:
        raise CannotScoreYourself()
    if performance.phase != Phase.SCORING:
        raise WrongPhase(_l("Scoring opens when the turn ends."))
    exists = db.session.scalar(
        select(Score.id).where(Score.performance_id == performance.id, Score.scorer_id == actor_id)
    )
    if exists is not None:
        raise AlreadyScored()
    try:
        with db.session.begin_nested():
            db.session.add(Score(performance_id=performance.id, scorer_id=actor_id, value=points))
    except IntegrityError:
        db.session.rollback()
        raise AlreadyScored() from None
    _close_when_everyone_scored(room, performance)
    return _commit_stage(room)


def close_scoring(room_id: int, actor_id: int) -> Room:
    """The host closes scoring early; the average uses the scores given so far."""
    room = _lock_room(room_id)
    _require_member(room, actor_id)
    if room.host_id != actor_id:
        raise NotHost(_l("Only the host can close scoring."))
    performance = _require_live(room)
    if performance.phase != Phase.SCORING:
        raise WrongPhase(_l("Scoring is not open."))
    _close(room, performance)
    _advance(room, performance)
    return _commit_stage(room)


def finish_show(room_id: int, actor_id: int) -> Room:
    """The host ends the show now; what is on stage is closed with the scores it has."""
    room = _lock_room(room_id)
    _require_member(room, actor_id)
    if room.host_id != actor_id:
        raise NotHost(_l("Only the host can finish the show."))
    if room.status != RoomStatus.LIVE:
        raise ShowNotLive()
    _finish(room)
    return _commit_stage(room)


def react(room_id: int, actor_id: int, kind: str) -> dict[str, int]:
    """Count a clap or a mirror ball on the performance on air; return the new totals."""
    column = REACTION_COLUMNS.get(kind)
    if column is None:
        raise InvalidReaction()
    begin_write()
    room = db.session.get(Room, room_id, populate_existing=True)
    if room is None or room.status == RoomStatus.CANCELLED:
        raise RoomNotFound()
    _require_member(room, actor_id)
    if room.status != RoomStatus.LIVE or room.current_performance_id is None:
        raise NobodyOnAir()
    performance_id = room.current_performance_id
    # One atomic increment, and only while that performance is still on air.
    row = db.session.execute(
        update(Performance)
        .where(Performance.id == performance_id, Performance.phase == Phase.ON_AIR)
        .values({column: getattr(Performance, column) + 1})
        .returning(Performance.claps, Performance.mirror_balls)
        .execution_options(synchronize_session=False)
    ).one_or_none()
    if row is None:
        raise NobodyOnAir()
    counts = {"clap": int(row.claps), "mirror_ball": int(row.mirror_balls)}
    broadcast(
        REACTION,
        {"room_id": room_id, "performance_id": performance_id, "kind": kind, "counts": counts},
        f"room:{room_id}",
    )
    db.session.commit()
    return counts


# --- reading -----------------------------------------------------------------------------


def results(room_id: int) -> list[ResultRow]:
    """Return the closed performances, best average first; ties share a rank."""
    performances = list(
        db.session.scalars(
            select(Performance)
            .options(joinedload(Performance.performer))
            .where(Performance.room_id == room_id, Performance.phase == Phase.CLOSED)
        )
    )
    counts = dict(
        db.session.execute(
            select(Score.performance_id, func.count(Score.id))
            .join(Performance, Performance.id == Score.performance_id)
            .where(Performance.room_id == room_id)
            .group_by(Score.performance_id)
        ).all()
    )
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
                score_count=int(counts.get(performance.id, 0)),
            )
        )
    return rows


def stage_for(room_id: int, viewer_id: int | None) -> Stage:
    """Return the stage as `viewer_id` sees it, with the actions they may take now."""
    room = visible_room(room_id, viewer_id)
    members = present_members(room.id)
    member_ids = {m.user_id for m in members}
    is_member = viewer_id is not None and viewer_id in member_ids
    is_host = is_member and room.host_id == viewer_id
    live = room.status == RoomStatus.LIVE
    performance = None
    if room.current_performance_id is not None:
        performance = db.session.scalar(
            select(Performance)
            .options(joinedload(Performance.performer), joinedload(Performance.next_performer))
            .where(Performance.id == room.current_performance_id)
        )
    closed = list(
        db.session.scalars(
            select(Performance)
            .options(joinedload(Performance.performer))
            .where(Performance.room_id == room.id, Performance.phase == Phase.CLOSED)
            .order_by(Performance.turn)
        )
    )
    averages: dict[int, Decimal | None] = {p.performer_id: p.average for p in closed}
    scorer_ids: set[int] = set()
    if performance is not None and performance.phase == Phase.SCORING:
        scorer_ids = set(
            db.session.scalars(
                select(Score.scorer_id).where(Score.performance_id == performance.id)
            )
        )
    online = set(presence.online_user_ids(room.id)) if room.status != RoomStatus.FINISHED else set()
    on_air_id = (
        performance.performer_id
        if live and performance is not None and performance.phase == Phase.ON_AIR
        else None
    )
    rows = [
        MemberRow(
            user=m.user,
            is_host=m.user_id == room.host_id,
            on_air=m.user_id == on_air_id,
            has_performed=m.has_performed and m.user_id != on_air_id,
            average=averages.get(m.user_id),
            online=m.user_id in online,
            has_scored=m.user_id in scorer_ids,
        )
        for m in members
    ]
    phase = performance.phase if (live and performance is not None) else None
    is_performer = performance is not None and performance.performer_id == viewer_id
    performer_or_host = is_member and (is_performer or is_host)
    eligible = member_ids - {performance.performer_id} if performance is not None else set()
    has_scored = viewer_id in scorer_ids
    nominees = [m.user for m in members if not m.has_performed] if live else []
    return Stage(
        room=room,
        viewer_id=viewer_id,
        is_member=is_member,
        is_host=is_host,
        members=rows,
        performance=performance,
        scored_count=len(scorer_ids & eligible),
        eligible_count=len(eligible),
        has_scored=has_scored,
        nominees=nominees,
        results=results(room.id) if room.status == RoomStatus.FINISHED else [],
        last_closed=closed[-1] if closed else None,
        can_join=(
            viewer_id is not None
            and not is_member
            and room.status == RoomStatus.LOBBY
            and room.seats_taken < room.capacity
        ),
        can_leave=is_member and room.status == RoomStatus.LOBBY,
        can_start=is_host and room.status == RoomStatus.LOBBY,
        can_end_turn=performer_or_host and phase == Phase.ON_AIR,
        can_nominate=performer_or_host and phase is not None and bool(nominees),
        can_score=(is_member and phase == Phase.SCORING and not is_performer and not has_scored),
        can_close_scoring=is_host and phase == Phase.SCORING,
        can_finish=is_host and live,
        can_react=is_member and phase == Phase.ON_AIR,
    )
