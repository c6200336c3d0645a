"""Stage, reaction and presence events of a whole show, received by Socket.IO clients."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from app.extensions import db, socketio
from app.realtime.broadcast import pending_events
from app.realtime.redis_queue import Emit
from tests.web.show_support import ShowPerson


@pytest.fixture
def committed_check(app):
    """Record, for every event sent, the room version another connection sees at that moment."""
    seen: list[tuple[str, dict, int]] = []
    original = app.extensions["encore_emit"]

    def observed(sent: list[Emit]) -> None:
        with db.engine.connect() as conn:
            for event, data, _to in sent:
                version = conn.scalar(
                    text("SELECT version FROM rooms WHERE id = :id"), {"id": data.get("room_id", 0)}
                )
                seen.append((event, data, version))
        original(sent)

    app.extensions["encore_emit"] = observed
    yield seen
    app.extensions["encore_emit"] = original


def connect(app, person: ShowPerson, room_id: int):
    """Connect a Socket.IO test client with the person's session and subscribe to the room."""
    sio = socketio.test_client(app, flask_test_client=person.client)
    assert sio.is_connected()
    ack = sio.emit("subscribe", {"room_id": room_id}, callback=True)
    assert ack == {"ok": True, "room": f"room:{room_id}"}
    sio.get_received()  # drop the presence announcements of joining
    return sio


def events(sio, *names: str) -> list[tuple[str, dict]]:
    """Return the received events with these names, in order."""
    return [(m["name"], m["args"][0]) for m in sio.get_received() if m["name"] in names]


def test_spectators_subscribe_but_not_to_a_cancelled_room(app, show_room, show_people):
    # Second edition (rule 10): anyone logged in may watch a room live, without a seat.
    room_id, (mina,) = show_room("mina")
    (outsider,) = show_people("outsider")
    sio = socketio.test_client(app, flask_test_client=outsider.client)
    assert sio.emit("subscribe", {"room_id": room_id}, callback=True)["ok"] is True
    assert sio.emit("subscribe", {"room_id": str(room_id)}, callback=True)["ok"] is False
    assert mina.act(room_id, "leave").status_code == 303  # alone: the room is cancelled
    assert sio.emit("subscribe", {"room_id": room_id}, callback=True) == {
        "ok": False,
        "error": "not_found",
    }
    sio.disconnect()


def test_anonymous_sockets_are_refused(app, client):
    sio = socketio.test_client(app, flask_test_client=client)
    assert not sio.is_connected()


def test_a_whole_show_sends_one_stage_event_per_change_after_commit(
    app, show_room, committed_check, room_state
):
    room_id, people = show_room("mina", "junho", "seoyeon", "dohyun")
    mina, junho, seoyeon, dohyun = people
    sockets = [connect(app, person, room_id) for person in people]
    committed_check.clear()
    version = room_state(room_id)["version"]
    expected: list[tuple[str, dict]] = []

    def step(person: ShowPerson, action: str, data: dict | None = None, *, htmx: bool = False):
        nonlocal version
        response = person.act(room_id, action, data, htmx=htmx)
        assert response.status_code in (200, 303), response.get_data(as_text=True)[:400]
        with app.app_context():
            assert pending_events() == []
        if action == "react":
            performance_id = room_state(room_id)["current"]
            claps, balls = reaction_totals(app, performance_id)
            counts = {"clap": claps, "mirror_ball": balls}
            expected.append(
                (
                    "reaction",
                    {
                        "room_id": room_id,
                        "performance_id": performance_id,
                        "kind": data["kind"],
                        "counts": counts,
                    },
                )
            )
        else:
            version += 1
            expected.append(("stage", {"room_id": room_id, "version": version}))
        assert room_state(room_id)["version"] == version

    step(mina, "start", {"first_performer_id": str(junho.id)})
    step(seoyeon, "react", {"kind": "clap"})
    step(dohyun, "react", {"kind": "mirror_ball"}, htmx=True)
    step(junho, "nominate", {"user_id": str(seoyeon.id)}, htmx=True)
    step(junho, "end-turn")
    step(mina, "score", {"value": "9"})
    step(seoyeon, "score", {"value": "8"}, htmx=True)
    step(dohyun, "score", {"value": "10"})  # closes scoring; seoyeon goes on air
    step(junho, "react", {"kind": "clap"})
    step(mina, "end-turn")
    step(junho, "score", {"value": "6"})
    step(mina, "close-scoring")
    step(seoyeon, "nominate", {"user_id": str(dohyun.id)})  # after the close: straight on air
    step(dohyun, "end-turn")
    step(mina, "finish")

    for sio in sockets:
        assert events(sio, "stage", "reaction") == expected
        sio.disconnect()
    # Every event left only after its transaction committed: another connection already
    # saw the version the event announces.
    for name, payload, committed_version in committed_check:
        if name == "stage":
            assert committed_version >= payload["version"]
    # Other events (notifications to the people nominated or on air) go out too; the
    # stage and reaction events among them are exactly the expected ones, in order.
    staged = [
        (name, payload) for name, payload, _ in committed_check if name in ("stage", "reaction")
    ]
    assert staged == expected
    state = room_state(room_id)
    assert state["status"].value == "finished"
    assert [p[0] for p in state["performances"]] == [junho.id, seoyeon.id, dohyun.id]


def reaction_totals(app, performance_id: int) -> tuple[int, int]:
    """Read a performance's clap and mirror-ball totals."""
    with app.app_context(), db.engine.connect() as conn:
        row = conn.execute(
            text("SELECT claps, mirror_balls FROM performances WHERE id = :id"),
            {"id": performance_id},
        ).one()
        return int(row[0]), int(row[1])


def test_refused_actions_send_nothing(app, show_room, committed_check):
    room_id, (mina, junho) = show_room("mina", "junho")
    sio = connect(app, mina, room_id)
    committed_check.clear()
    assert junho.act(room_id, "start").status_code == 403
    assert junho.act(room_id, "react", {"kind": "clap"}).status_code == 409
    # Nobody is on air in the lobby, so there is nothing to score.
    assert mina.act(room_id, "score", {"value": "5"}).status_code == 409
    assert events(sio, "stage", "reaction") == []
    assert committed_check == []
    sio.disconnect()


def test_joining_and_leaving_update_the_stage_and_presence(app, show_room, show_people):
    room_id, (mina, _) = show_room("mina", "junho")
    sio = connect(app, mina, room_id)
    (seoyeon,) = show_people("seoyeon")
    assert seoyeon.act(room_id, "join").status_code == 303
    assert [name for name, _ in events(sio, "stage")] == ["stage"]
    other = connect(app, seoyeon, room_id)
    presence = [p for name, p in events(sio, "presence")]
    assert presence and sorted(presence[-1]["online"]) == sorted([mina.id, seoyeon.id])
    other.disconnect()
    online = [p["online"] for _, p in events(sio, "presence")]
    assert online and online[-1] == [mina.id]
    assert seoyeon.act(room_id, "leave").status_code == 303
    assert [name for name, _ in events(sio, "stage")] == ["stage"]
    sio.disconnect()


def test_presence_lists_who_watches_the_room(app, show_room):
    room_id, (mina, junho) = show_room("mina", "junho")
    first = socketio.test_client(app, flask_test_client=mina.client)
    first.emit("subscribe", {"room_id": room_id}, callback=True)
    assert [p["online"] for _, p in events(first, "presence")] == [[mina.id]]
    second = socketio.test_client(app, flask_test_client=junho.client)
    second.emit("subscribe", {"room_id": room_id}, callback=True)
    assert [p["online"] for _, p in events(first, "presence")] == [sorted([mina.id, junho.id])]
    html = mina.client.get(f"/rooms/{room_id}/stage", headers={"HX-Request": "true"}).get_data(
        as_text=True
    )
    assert html.count("is-online") == 2
    second.disconnect()
    assert [p["online"] for _, p in events(first, "presence")] == [[mina.id]]
    first.disconnect()
