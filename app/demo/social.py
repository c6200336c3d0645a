"""Demo follows and three weeks of finished ranked shows, so profiles have charts to show."""

from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select

from app.database import utcnow
from app.demo.people import demo_user
from app.extensions import db
from app.models import (
    Follow,
    Performance,
    Phase,
    Room,
    RoomMember,
    RoomMode,
    RoomStatus,
    Score,
)
from app.services.stats import user_zone

HISTORY_TITLE = "Encore 주간 챌린지"

FOLLOWS: dict[str, tuple[str, ...]] = {
    "mina": ("junho", "seoyeon", "yuna", "alex", "hana"),
    "junho": ("mina", "minjun", "dohyun"),
    "seoyeon": ("mina", "chaeeun", "yuna"),
    "dohyun": ("taeyang", "junho"),
    "jiwoo": ("sora", "mina", "yuna"),
    "hana": ("mina", "junho", "seoyeon", "dohyun", "jiwoo", "alex", "yuna"),
    "alex": ("mina", "hana"),
    "yuna": ("mina", "chaeeun"),
    "taeyang": ("dohyun",),
    "sora": ("jiwoo", "minjun"),
    "minjun": ("junho", "sora"),
    "chaeeun": ("seoyeon", "yuna"),
}

# (days ago, category, performers): one finished ranked room per batch. Mina and Yuna
# perform on each of the last days, so their profiles show a running streak.
BATCHES: tuple[tuple[int, str, tuple[str, ...]], ...] = (
    (20, "karaoke", ("mina", "junho", "yuna", "alex")),
    (18, "dance", ("seoyeon", "chaeeun", "hana", "mina")),
    (16, "karaoke", ("yuna", "mina", "sora", "jiwoo")),
    (13, "comedy", ("dohyun", "taeyang", "alex", "junho")),
    (11, "karaoke", ("mina", "yuna", "chaeeun", "minjun")),
    (9, "instrument", ("jiwoo", "sora", "junho", "mina")),
    (7, "talent", ("taeyang", "hana", "seoyeon", "yuna")),
    (5, "karaoke", ("mina", "yuna", "alex", "junho")),
    (4, "dance", ("seoyeon", "mina", "chaeeun", "yuna")),
    (3, "challenge", ("minjun", "mina", "dohyun", "yuna")),
    (2, "karaoke", ("yuna", "mina", "jiwoo", "hana")),
    (1, "comedy", ("dohyun", "mina", "taeyang", "yuna")),
    (0, "karaoke", ("mina", "yuna", "junho", "sora")),
)


def batch_start(now: datetime, days_ago: int, performers: int) -> datetime:
    """When a demo batch starts: noon in Korea `days_ago` local days back, and no later
    than leaves today's batch finished an hour before `now`.

    Anchored to the local day rather than to `now` minus whole days: near midnight in Korea
    a batch's turns would otherwise fall on two days, two batches on one, and the demo
    streaks would show a gap. Early in the day, today's batch moves into yesterday, and
    the streak (alive until today is over) still runs.
    """
    zone = user_zone(None)
    day = now.astimezone(zone).date() - timedelta(days=days_ago)
    noon = datetime.combine(day, time(12), tzinfo=zone).astimezone(UTC)
    latest = now - timedelta(hours=1, minutes=5 * performers + 1)
    return min(noon, latest).replace(microsecond=0)


def turn_opens(started: datetime, turn: int) -> datetime:
    """When turn `turn` (from 1) of a demo batch opens: one every five minutes."""
    return started + timedelta(minutes=5 * (turn - 1))


def seed_follows() -> int:
    """Create the demo follows that do not exist yet; return how many were new."""
    created = 0
    for follower_name, followed_names in FOLLOWS.items():
        follower = demo_user(follower_name)
        for followed_name in followed_names:
            followed = demo_user(followed_name)
            if follower is None or followed is None or follower.id == followed.id:
                continue
            if db.session.get(Follow, (follower.id, followed.id)) is None:
                db.session.add(Follow(follower_id=follower.id, followed_id=followed.id))
                created += 1
    db.session.flush()
    return created


def _average(values: list[int]) -> Decimal:
    """Average to two decimals, as the show rules round it."""
    return (Decimal(sum(values)) / len(values)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def seed_history() -> int:
    """Create the finished demo shows once; return how many rooms were created."""
    exists = db.session.scalar(select(Room.id).where(Room.title.like(f"{HISTORY_TITLE}%")))
    if exists is not None:
        return 0
    rng = random.Random(2026)  # noqa: S311  (demo scores, not secrets)
    now = utcnow()
    created = 0
    for number, (days_ago, category, names) in enumerate(BATCHES, start=1):
        people = [demo_user(name) for name in names]
        if any(person is None for person in people):
            continue
        started = batch_start(now, days_ago, len(people))
        room = Room(
            title=f"{HISTORY_TITLE} #{number}",
            description="지난주에 끝난 쇼예요.",
            category=category,
            mode=RoomMode.RANKED,
            capacity=8,
            seats_taken=len(people),
            host_id=people[0].id,
            status=RoomStatus.FINISHED,
            created_at=started - timedelta(minutes=20),
            started_at=started,
            finished_at=started + timedelta(minutes=5 * len(people) + 1),
        )
        db.session.add(room)
        db.session.flush()
        for seat, person in enumerate(people):
            db.session.add(
                RoomMember(
                    room_id=room.id,
                    user_id=person.id,
                    joined_at=room.created_at + timedelta(seconds=seat),
                    has_performed=True,
                )
            )
        for turn, performer in enumerate(people, start=1):
            opened = turn_opens(started, turn)
            closed = opened + timedelta(minutes=4)
            values = {p.id: rng.randint(5, 10) for p in people if p.id != performer.id}
            performance = Performance(
                room_id=room.id,
                performer_id=performer.id,
                turn=turn,
                phase=Phase.CLOSED,
                category=category,
                started_at=opened,
                ended_at=opened + timedelta(minutes=3),
                closed_at=closed,
                claps=rng.randint(3, 40),
                mirror_balls=rng.randint(0, 6),
                average=_average(list(values.values())),
                counts_toward_ranking=True,
            )
            db.session.add(performance)
            db.session.flush()
            for scorer_id, value in values.items():
                db.session.add(
                    Score(
                        performance_id=performance.id,
                        scorer_id=scorer_id,
                        value=value,
                        created_at=closed,
                    )
                )
        created += 1
    db.session.flush()
    return created


def seed() -> str:
    """Add the demo follows and score histories (safe to run twice)."""
    follows = seed_follows()
    rooms = seed_history()
    return f"social: {follows} follows and {rooms} finished demo shows created"
