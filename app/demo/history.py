"""Demo ranked history: a crowd of performers and weeks of finished shows, so boards have pages.

Rows are built straight from the models in bulk (the show service would take hours of
real turns). Everything is deterministic, and a second run changes nothing.
"""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from flask import current_app
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from app.database import utcnow
from app.demo.people import DEMO_PASSWORD, DEMO_PEOPLE
from app.extensions import db
from app.models import Performance, Phase, Room, RoomMember, RoomMode, RoomStatus, Score, User
from app.services import leaderboard

CROWD_SIZE = 96
WEEKS = 6
SHOWS_PER_WEEK = 14
MARKER_TITLE = "Encore 리그 나이트"  # every history room carries it; its presence means done

SURNAMES = ("김", "이", "박", "최", "정", "강", "조", "윤", "장", "임", "한", "오", "서", "신")
GIVEN = ("민준", "서연", "지호", "하윤", "도윤", "서준", "지우", "예은", "시우", "수아", "하준")
ROMAN = {"김": "kim", "이": "lee", "박": "park", "최": "choi", "정": "jung", "강": "kang"}
ENGLISH = ("Chris", "Jamie", "Sam", "Robin", "Taylor", "Morgan", "Casey", "Jordan", "Riley")


def _crowd(rng: random.Random) -> list[tuple[str, str]]:
    """Return (username, display name) pairs for the demo crowd."""
    people = []
    for index in range(CROWD_SIZE):
        if index % 4 == 3:
            name = rng.choice(ENGLISH)
            people.append((f"{name.lower()}.{index:02d}", f"{name} {rng.choice('ABCDEFGHJK')}."))
        else:
            surname, given = rng.choice(SURNAMES), rng.choice(GIVEN)
            people.append((f"{ROMAN.get(surname, 'fan')}.{index:02d}", surname + given))
    return people


def _average(values: list[int]) -> Decimal:
    """Average scores to two decimals, as the show rules do."""
    return (Decimal(sum(values)) / len(values)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def seed() -> str:
    """Create the crowd and its weeks of ranked and casual shows, once."""
    if db.session.scalar(select(Room.id).where(Room.title.startswith(MARKER_TITLE)).limit(1)):
        return "history: already seeded"
    rng = random.Random(2026)  # noqa: S311  (demo data, not secrets)
    password_hash = generate_password_hash(DEMO_PASSWORD)  # one hash, reused: same password
    existing = set(db.session.scalars(select(User.username_key)))
    crowd = [
        User(username=u, username_key=u, display_name=d, password_hash=password_hash)
        for u, d in _crowd(rng)
        if u not in existing
    ]
    db.session.add_all(crowd)
    db.session.flush()
    demo_keys = [username for username, _name, _bio in DEMO_PEOPLE]
    performers = list(db.session.scalars(select(User.id).where(User.username_key.in_(demo_keys))))
    performers += [user.id for user in crowd]
    # A few stars perform more often and score higher, so the top of the board is lively.
    talent = {uid: rng.uniform(-1.5, 2.0) for uid in performers}
    categories = [key for key, _label in current_app.config["ROOM_CATEGORIES"]]

    now = utcnow()
    # This week's shows fall inside the current ISO week (Korea time), so "This week" has
    # a board as soon as the week is a few hours old.
    week_start, _end = leaderboard.week_window(now)
    this_week_days = max(0.05, (now - week_start).total_seconds() / 86400 - 0.1)
    rooms = performances = scores = 0
    for week in range(WEEKS):
        for show in range(SHOWS_PER_WEEK):
            ranked = show % 5 != 4
            back = (
                rng.uniform(0.05, this_week_days) if week == 0 else 7 * week + rng.uniform(0, 6.5)
            )
            started = now - timedelta(days=back, minutes=90)
            cast = rng.sample(performers, rng.randint(4, 9))
            room = Room(
                title=f"{MARKER_TITLE} {WEEKS - week}.{show + 1}",
                description="",
                category=rng.choice(categories),
                mode=RoomMode.RANKED if ranked else RoomMode.CASUAL,
                capacity=max(10, len(cast)),
                host_id=cast[0],
                status=RoomStatus.FINISHED,
                seats_taken=len(cast),
                created_at=started - timedelta(minutes=15),
                started_at=started,
                finished_at=started + timedelta(minutes=6 * len(cast)),
            )
            db.session.add(room)
            db.session.flush()
            rooms += 1
            for seat, uid in enumerate(cast):
                db.session.add(
                    RoomMember(
                        room_id=room.id,
                        user_id=uid,
                        joined_at=room.created_at + timedelta(seconds=seat),
                        has_performed=True,
                    )
                )
            for turn, uid in enumerate(cast, start=1):
                closed = started + timedelta(minutes=6 * turn)
                values = [
                    max(1, min(10, round(rng.gauss(6.5 + talent[uid], 1.4))))
                    for scorer in cast
                    if scorer != uid
                ]
                performance = Performance(
                    room_id=room.id,
                    performer_id=uid,
                    turn=turn,
                    phase=Phase.CLOSED,
                    category=room.category,
                    started_at=closed - timedelta(minutes=5),
                    ended_at=closed - timedelta(minutes=2),
                    closed_at=closed,
                    claps=rng.randint(0, 60),
                    mirror_balls=rng.randint(0, 12),
                    average=_average(values),
                    counts_toward_ranking=ranked,
                )
                db.session.add(performance)
                db.session.flush()
                performances += 1
                others = [scorer for scorer in cast if scorer != uid]
                db.session.add_all(
                    Score(performance_id=performance.id, scorer_id=s, value=v, created_at=closed)
                    for s, v in zip(others, values, strict=True)
                )
                scores += len(values)
    db.session.flush()
    return (
        f"history: {len(crowd)} crowd members, {rooms} finished shows, "
        f"{performances} performances, {scores} scores"
    )
