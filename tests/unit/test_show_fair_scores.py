"""Fair scoring against hand-computed tables: the trimmed mean and rater calibration."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.extensions import db
from app.models import Room, RoomStatus
from app.services.scoring import average_of, calibration
from app.services.show_view import stage_for
from tests.support import factories


@pytest.mark.parametrize(
    ("values", "average"),
    [
        ([], None),
        ([6, 7, 8, 9], Decimal("7.50")),  # 4 scores: nothing dropped
        ([7, 8, 8], Decimal("7.67")),
        ([8, 8, 9, 10, 10], Decimal("9.00")),  # ties: exactly one 8 and one 10 go
        ([5, 5, 5, 5, 5], Decimal("5.00")),
        ([1, 10, 10, 10, 10], Decimal("10.00")),
        ([1, 2, 3, 4, 4, 4], Decimal("3.25")),  # 13 / 4
        ([1, 2, 2, 2, 2, 3, 10], Decimal("2.20")),  # 11 / 5
        ([1] * 8 + [2, 10], Decimal("1.13")),  # 9 / 8 = 1.125, half up
        ([1] * 8 + [4, 9], Decimal("1.38")),  # 11 / 8 = 1.375, half up
    ],
)
def test_the_trimmed_mean_drops_one_highest_and_one_lowest_from_five_scores(values, average):
    assert average_of(values) == average


def test_calibration_against_a_hand_computed_table(app):
    with app.app_context():
        names = ("host", "p1", "p2", "p3", "s1", "s2", "s3", "s4", "s5")
        ids = {name: factories.user(f"{name}_x", display_name=name) for name in names}
        room_id = factories.room(ids["host"], member_ids=tuple(ids[n] for n in names[1:]))
        s = [ids[f"s{i}"] for i in range(1, 6)]
        # p1: 10, 6, 8 → 8.00; p2: 9, 7 → 8.00; p3: 10, 4, 7, 7, 8 → trimmed 22 / 3 = 7.33.
        factories.finished_performance(room_id, ids["p1"], {s[0]: 10, s[1]: 6, s[2]: 8})
        factories.finished_performance(room_id, ids["p2"], {s[0]: 9, s[1]: 7})
        factories.finished_performance(
            room_id, ids["p3"], {s[0]: 10, s[1]: 4, s[2]: 7, s[3]: 7, s[4]: 8}
        )
        db.session.get(Room, room_id).status = RoomStatus.FINISHED
        db.session.commit()
        rows = [(c.scorer.display_name, c.scored, c.deviation) for c in calibration(room_id)]
        assert rows == [
            ("s1", 3, Decimal("1.89")),  # (2 + 1 + 2.67) / 3
            ("s5", 1, Decimal("0.67")),
            ("s3", 2, Decimal("-0.17")),  # (0 − 0.33) / 2 = −0.165, half up (away from 0)
            ("s4", 1, Decimal("-0.33")),
            ("s2", 3, Decimal("-2.11")),  # (−2 − 1 − 3.33) / 3
        ]
        # Only the host sees it, and only once the show is over.
        host_view = stage_for(room_id, ids["host"]).calibration
        assert [c.scorer.display_name for c in host_view][:1] == ["s1"]
        assert stage_for(room_id, ids["s1"]).calibration == []
        results = stage_for(room_id, ids["s1"]).results
        assert [(r.performer.display_name, r.trimmed) for r in results] == [
            ("p1", False),
            ("p2", False),
            ("p3", True),
        ]
