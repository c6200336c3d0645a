"""Results: best average first, ties share a rank, unscored performances come last."""

from __future__ import annotations

from decimal import Decimal

from app.extensions import db
from app.models import Room, RoomStatus
from app.services.show_view import results, stage_for
from tests.support import factories


def test_results_rank_with_ties_and_podium(app):
    with app.app_context():
        names = ("mina", "junho", "seoyeon", "dohyun", "hana")
        ids = {name: factories.user(name) for name in names}
        room_id = factories.room(ids["mina"], member_ids=tuple(ids[n] for n in names[1:]))
        scorer = ids["hana"]
        factories.finished_performance(room_id, ids["mina"], {scorer: 8})
        factories.finished_performance(room_id, ids["junho"], {scorer: 9})
        factories.finished_performance(room_id, ids["seoyeon"], {scorer: 8})
        factories.finished_performance(room_id, ids["dohyun"], {})
        factories.finished_performance(room_id, ids["hana"], {ids["mina"]: 6})
        db.session.get(Room, room_id).status = RoomStatus.FINISHED
        db.session.commit()

        rows = [(r.rank, r.performer.username, r.performance.average) for r in results(room_id)]
        assert rows == [
            (1, "junho", Decimal("9.00")),
            (2, "mina", Decimal("8.00")),
            (2, "seoyeon", Decimal("8.00")),
            (4, "hana", Decimal("6.00")),
            (None, "dohyun", None),
        ]
        stage = stage_for(room_id, ids["mina"])
        assert [r.performer.username for r in stage.podium] == ["junho", "mina", "seoyeon"]
        assert not (stage.can_finish or stage.can_score or stage.can_react or stage.can_join)
