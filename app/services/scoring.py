"""The one average of the show: a trimmed mean with exact half-up rounding, and rater
calibration (how far each scorer sits from the room) for the host after the show.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select

from app.extensions import db
from app.models import Performance, Phase, Score, User

TWO_PLACES = Decimal("0.01")
# With this many scores or more, the single highest and the single lowest are dropped.
TRIM_FROM = 5


def rounded(value: Decimal) -> Decimal:
    """Return `value` rounded half-up to 2 decimals (2.345 → 2.35, -0.125 → -0.13)."""
    return value.quantize(TWO_PLACES, ROUND_HALF_UP)


def is_trimmed(count: int) -> bool:
    """Tell whether an average of `count` scores drops the highest and the lowest."""
    return count >= TRIM_FROM


def average_of(values: list[int]) -> Decimal | None:
    """Return the show average of `values`: trimmed from 5 scores on; None when empty.

    Exactly one highest and one lowest value are dropped, even when tied (8, 8, 9, 10, 10
    drops one 8 and one 10).
    """
    if not values:
        return None
    kept = sorted(values)[1:-1] if is_trimmed(len(values)) else list(values)
    return rounded(Decimal(sum(kept)) / Decimal(len(kept)))


@dataclass(frozen=True)
class Calibration:
    """How one scorer's scores compare with the room's averages."""

    scorer: User
    scored: int  # performances scored that ended with an average
    deviation: Decimal  # mean of (their score − the performance's average), 2 decimals


def calibration(room_id: int) -> list[Calibration]:
    """Return each scorer's average deviation from the room, the most generous first."""
    rows = db.session.execute(
        select(Score.scorer_id, Score.value, Performance.average)
        .join(Performance, Performance.id == Score.performance_id)
        .where(
            Performance.room_id == room_id,
            Performance.phase == Phase.CLOSED,
            Performance.average.is_not(None),
        )
    ).all()
    gaps: dict[int, list[Decimal]] = defaultdict(list)
    for scorer_id, value, average in rows:
        gaps[scorer_id].append(Decimal(value) - Decimal(average))
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(list(gaps))))}
    result = [
        Calibration(
            scorer=users[scorer_id],
            scored=len(values),
            deviation=rounded(sum(values, Decimal(0)) / Decimal(len(values))),
        )
        for scorer_id, values in gaps.items()
        if scorer_id in users
    ]
    result.sort(key=lambda c: (-c.deviation, c.scorer.display_name, c.scorer.id))
    return result
