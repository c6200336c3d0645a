"""Room and live-show test helpers: logged-in people with their own clients, room state."""

from __future__ import annotations

from dataclasses import dataclass

from flask.testing import FlaskClient
from sqlalchemy import select

from app.extensions import db
from app.models import Performance, Room, RoomMember, Score
from tests.support.web import AuthActions, post


@dataclass
class ShowPerson:
    """A user with their own logged-in test client, acting like one phone."""

    username: str
    id: int
    client: FlaskClient

    def act(self, room_id: int, action: str, data: dict | None = None, *, htmx: bool = False):
        """POST a show action such as "join" or "score" to the room, with a real CSRF token."""
        return post(self.client, f"/rooms/{room_id}/{action}", data or {}, htmx=htmx)

    def create_room(self, **fields) -> int:
        """Open a room through the form and return its id."""
        data = {
            "title": "Friday karaoke",
            "description": "Bring your best ballad.",
            "category": "karaoke",
            "mode": "ranked",
            "capacity": "10",
        }
        data.update({k: str(v) for k, v in fields.items()})
        response = post(self.client, "/rooms/", data)
        assert response.status_code == 303, response.get_data(as_text=True)[:800]
        return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])


def read_room_state(app, room_id: int) -> dict:
    """Read a room, its members and performances straight from the database."""
    with app.app_context():
        room = db.session.get(Room, room_id)
        performances = db.session.scalars(
            select(Performance).where(Performance.room_id == room_id).order_by(Performance.turn)
        ).all()
        members = db.session.scalars(
            select(RoomMember).where(RoomMember.room_id == room_id).order_by(RoomMember.id)
        ).all()
        scores = db.session.scalars(
            select(Score).join(Performance).where(Performance.room_id == room_id)
        ).all()
        return {
            "status": room.status,
            "version": room.version,
            "host_id": room.host_id,
            "seats_taken": room.seats_taken,
            "current": room.current_performance_id,
            "performances": [
                (
                    p.performer_id,
                    p.turn,
                    p.phase,
                    p.average,
                    p.counts_toward_ranking,
                    p.next_performer_id,
                )
                for p in performances
            ],
            "members": [(m.user_id, m.left_at is None, m.has_performed) for m in members],
            "scores": sorted((s.performance_id, s.scorer_id, s.value) for s in scores),
        }


def people_factory(app, make_user):
    """Return a function that creates users, each logged into a client of their own."""

    def _make(*usernames: str) -> list[ShowPerson]:
        people = []
        for username in usernames:
            user_id = make_user(username)
            client = app.test_client()
            response = AuthActions(client).login(username)
            assert response.status_code == 303
            people.append(ShowPerson(username, user_id, client))
        return people

    return _make


def room_factory(make_people):
    """Return a function that opens a ranked lobby room for the first person, others seated."""

    def _make(*usernames: str, **fields) -> tuple[int, list[ShowPerson]]:
        people = make_people(*usernames)
        room_id = people[0].create_room(**fields)
        for person in people[1:]:
            assert person.act(room_id, "join").status_code == 303
        return room_id, people

    return _make
