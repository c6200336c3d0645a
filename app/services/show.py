"""The live show: turns on air, nominations, blind peer scores and deadlines (reactions are
in app.services.reactions).

Every stage change holds the room row and bumps the version once (app.services.stage).
Show rules, second edition: each phase has a deadline on the room row, set here when the
phase begins; `apply_overdue` moves a show on when one has passed, and any process (the
worker's sweep, the embedded sweeper, the next read) may call it — twice changes nothing.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from app.database import utcnow
from app.extensions import db
from app.models import Performance, Phase, Room, RoomMember, RoomStatus, Score
from app.services import attendance, janus_rooms, notifications
from app.services.rooms import NotHost, NotMember, membership, present_members
from app.services.scoring import average_of
from app.services.show_errors import (
    AlreadyScored,
    AlreadyStarted,
    CannotScoreYourself,
    InvalidNominee,
    InvalidScore,
    NomineeNotEligible,
    NotEnoughMembers,
    NotPerformerOrHost,
    ShowNotLive,
    WrongPhase,
)
from app.services.stage import commit_stage, lock_room

SCORE_MIN, SCORE_MAX = 1, 10
_SCORE_TEXT = re.compile(r"(?:10|[1-9])")
# After scoring closes with nobody nominated, this long passes before the member who has
# waited longest goes on air.
NOMINATION_SECONDS = 30
DEFAULT_IDLE_SECONDS = 3600


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


def idle_seconds() -> int:
    """Return how long a live show may go without anyone acting before it finishes."""
    return int(current_app.config.get("SHOW_IDLE_SECONDS", DEFAULT_IDLE_SECONDS))


# --- pieces of a transition (the room row is held) -----------------------------------------


def require_member(room: Room, user_id: int) -> RoomMember:
    """Return the actor's seat (marking them seen), or raise NotMember."""
    member = membership(room.id, user_id)
    if member is None or member.left_at is not None:
        raise NotMember()
    member.last_seen_at = utcnow()
    return member


def _require_live(room: Room) -> Performance:
    """Return the current performance of a live room, or raise ShowNotLive."""
    if room.status != RoomStatus.LIVE or room.current_performance_id is None:
        raise ShowNotLive()
    performance = db.session.get(Performance, room.current_performance_id, populate_existing=True)
    if performance is None:  # pragma: no cover  (the FK keeps it)
        raise ShowNotLive()
    return performance


def _set_deadline(room: Room, seconds: int | None) -> None:
    """Start the clock of the phase that begins now (None: no clock); a pause ends."""
    room.deadline_at = utcnow() + timedelta(seconds=seconds) if seconds is not None else None
    room.paused_seconds_left = None


def _candidates(room_id: int) -> list[RoomMember]:
    """Return seated members who have not performed yet, longest-waiting first."""
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
    """Put `member` on air as the next turn, with the turn clock running."""
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
    _set_deadline(room, room.turn_minutes * 60)
    notifications.went_on_air(performance)
    # Through the media server only this performer may publish now: kick anyone else.
    janus_rooms.kick_after_commit(room)
    return performance


def score_values(performance_id: int) -> list[int]:
    """Return the scores a performance received."""
    return list(
        db.session.scalars(select(Score.value).where(Score.performance_id == performance_id))
    )


def _close(room: Room, performance: Performance) -> None:
    """Close scoring: store the (trimmed) average and whether it counts toward rankings."""
    now = utcnow()
    performance.average = average_of(score_values(performance.id))
    performance.phase = Phase.CLOSED
    performance.ended_at = performance.ended_at or now
    performance.closed_at = now
    performance.category = room.category
    performance.counts_toward_ranking = room.is_ranked and performance.average is not None
    _set_deadline(room, None)
    notifications.results_in(performance)


def forfeit(room: Room, performance: Performance) -> None:
    """A performer on air left: the turn closes unscored and the show moves on."""
    _close(room, performance)
    advance(room, performance)
    janus_rooms.kick_after_commit(room)


def advance(room: Room, performance: Performance) -> None:
    """After scoring closed: the nominee goes on air, or a nomination window opens, or the
    show ends when nobody is left to perform."""
    if performance.next_performer_id is not None:
        nominee = membership(room.id, performance.next_performer_id)
        if nominee is not None and nominee.left_at is None and not nominee.has_performed:
            _go_on_air(room, nominee)
            return
    if _candidates(room.id):
        _set_deadline(room, NOMINATION_SECONDS)
    else:
        finish(room)


def finish(room: Room) -> None:
    """End the show: close whatever is on stage and mark the room finished."""
    if room.current_performance_id is not None:
        current = db.session.get(Performance, room.current_performance_id)
        if current is not None and current.phase != Phase.CLOSED:
            _close(room, current)
    room.status = RoomStatus.FINISHED
    room.finished_at = utcnow()
    _set_deadline(room, None)
    janus_rooms.close_after_commit(room)


def _open_scoring(room: Room, performance: Performance) -> None:
    """End the turn on air: the scoring window opens (or closes at once if all are in)."""
    performance.phase = Phase.SCORING
    performance.ended_at = utcnow()
    _set_deadline(room, room.scoring_seconds)
    db.session.flush()
    notifications.turn_ended(performance)
    janus_rooms.kick_after_commit(room)  # off air: in a stage room nobody may publish now
    close_when_present_scored(room, performance)


def everyone_present_scored(room_id: int, performance: Performance) -> bool:
    """Tell (reading only) whether every present scorer has scored a performance.

    With nobody present to score it is False: the scoring window's deadline decides then.
    """
    if performance.phase != Phase.SCORING:
        return False
    eligible = attendance.present_member_ids(room_id) - {performance.performer_id}
    scored = set(
        db.session.scalars(select(Score.scorer_id).where(Score.performance_id == performance.id))
    )
    return bool(eligible) and eligible <= scored


def close_when_present_scored(room: Room, performance: Performance) -> bool:
    """Close scoring (and move on) once every *present* scorer has scored; say if it did."""
    if everyone_present_scored(room.id, performance):
        _close(room, performance)
        advance(room, performance)
        return True
    return False


def _nominate_longest_waiting(room: Room) -> None:
    """Nobody nominated in time: the present member who has waited longest goes on air.

    Absent members are skipped (they can still be nominated when back); with nobody present
    left to perform the show finishes.
    """
    present = attendance.present_member_ids(room.id)
    nominee = next((m for m in _candidates(room.id) if m.user_id in present), None)
    if nominee is None:
        finish(room)
    else:
        _go_on_air(room, nominee)


def apply_overdue(room: Room, now: datetime) -> bool:
    """Apply what is due on a held live room; return whether the stage changed.

    Idempotent: once applied, the phase has moved on and its new deadline lies ahead.
    """
    if room.status != RoomStatus.LIVE:
        return False
    last = room.last_activity_at or room.started_at
    if last is not None and last <= now - timedelta(seconds=idle_seconds()):
        finish(room)
        return True
    performance = _require_live(room)
    if room.deadline_at is None or room.deadline_at > now:
        return close_when_present_scored(room, performance)
    if performance.phase == Phase.ON_AIR:
        _open_scoring(room, performance)
    elif performance.phase == Phase.SCORING:
        _close(room, performance)
        advance(room, performance)
    else:
        _nominate_longest_waiting(room)
    return True


# --- actions -------------------------------------------------------------------------------


def start_show(room_id: int, actor_id: int, first_performer_id: int | None = None) -> Room:
    """Go live with at least 2 members; the host's pick (the host by default) goes on air."""
    room = lock_room(room_id)
    require_member(room, actor_id)
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
    janus_rooms.open_after_commit(room)
    return commit_stage(room)


def end_turn(room_id: int, actor_id: int) -> Room:
    """End the performance on air; scoring opens (and closes at once if all are in)."""
    room = lock_room(room_id)
    require_member(room, actor_id)
    performance = _require_live(room)
    if actor_id not in (performance.performer_id, room.host_id):
        raise NotPerformerOrHost()
    if performance.phase != Phase.ON_AIR:
        raise WrongPhase(_l("This turn has already ended."))
    _open_scoring(room, performance)
    return commit_stage(room)


def nominate(room_id: int, actor_id: int, nominee_id: int) -> Room:
    """Choose who performs next: the performer or the host picks a member yet to perform."""
    room = lock_room(room_id)
    require_member(room, actor_id)
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
    return commit_stage(room)


def score(room_id: int, actor_id: int, value: object) -> Room:
    """Record the actor's 1–10 score of the performance being scored, once."""
    points = parse_score(value)
    room = lock_room(room_id)
    require_member(room, actor_id)
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
    close_when_present_scored(room, performance)
    return commit_stage(room)


def close_scoring(room_id: int, actor_id: int) -> Room:
    """The host closes scoring early; the average uses the scores given so far."""
    room = lock_room(room_id)
    require_member(room, actor_id)
    if room.host_id != actor_id:
        raise NotHost(_l("Only the host can close scoring."))
    performance = _require_live(room)
    if performance.phase != Phase.SCORING:
        raise WrongPhase(_l("Scoring is not open."))
    _close(room, performance)
    advance(room, performance)
    return commit_stage(room)


def finish_show(room_id: int, actor_id: int) -> Room:
    """The host ends the show now; what is on stage is closed with the scores it has."""
    room = lock_room(room_id)
    require_member(room, actor_id)
    if room.host_id != actor_id:
        raise NotHost(_l("Only the host can finish the show."))
    if room.status != RoomStatus.LIVE:
        raise ShowNotLive()
    finish(room)
    return commit_stage(room)
