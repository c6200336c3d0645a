"""`flask seed-demo` adds a lobby, a live show in the middle of scoring and a finished show."""

from __future__ import annotations

from sqlalchemy import select

from app.demo.shows import FINISHED, LIVE, LOBBY
from app.extensions import db
from app.models import Performance, Room


def test_seed_demo_adds_three_shows_once(app, runner, client):
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    assert "shows: lobby, live (scoring, clock paused), finished (ranked)" in first.output
    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0 and "shows: nothing new" in second.output

    with app.app_context():
        # Other demo parts add finished history rooms; these three are the shows' own.
        titles = (LOBBY[0], LIVE[0], FINISHED[0])
        rooms = {r.title: r for r in db.session.scalars(select(Room).where(Room.title.in_(titles)))}
        assert len(rooms) == 3
        lobby, live, finished = rooms[LOBBY[0]], rooms[LIVE[0]], rooms[FINISHED[0]]
        assert (lobby.status.value, lobby.seats_taken) == ("lobby", 4)
        assert live.status.value == "live"
        current = db.session.get(Performance, live.current_performance_id)
        assert current.phase.value == "scoring" and len(current.scores) == 2
        assert current.next_performer_id is not None
        assert finished.status.value == "finished"
        done = db.session.scalars(
            select(Performance).where(Performance.room_id == finished.id)
        ).all()
        assert len(done) == 4 and all(p.counts_toward_ranking for p in done)
        ids = (lobby.id, live.id, finished.id)

    for room_id in ids:
        assert client.get(f"/rooms/{room_id}").status_code == 200
    assert "2 of 4 scores in." in client.get(f"/rooms/{ids[1]}").get_data(as_text=True)
    assert 'class="podium"' in client.get(f"/rooms/{ids[2]}").get_data(as_text=True)
