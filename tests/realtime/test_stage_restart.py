"""A show survives a server restart: its state is rows, never process memory."""

from __future__ import annotations

import os
import threading

import pytest
import socketio as socketio_client
from sqlalchemy import create_engine, text

from tests.conftest import REDIS_PREFIX
from tests.support.live_server import LiveServer, WebUser

pytestmark = pytest.mark.realtime


def room_row(database_url: str, room_id: int) -> dict:
    """Read the room, its performances and scores with a connection of our own."""
    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg2://"))
    try:
        with engine.connect() as conn:
            room = conn.execute(
                text("SELECT status, version FROM rooms WHERE id = :id"), {"id": room_id}
            ).one()
            performances = conn.execute(
                text(
                    "SELECT performer_id, turn, phase, average, claps FROM performances "
                    "WHERE room_id = :id ORDER BY turn"
                ),
                {"id": room_id},
            ).all()
            scores = conn.execute(
                text(
                    "SELECT count(*) FROM scores JOIN performances p ON p.id = performance_id "
                    "WHERE p.room_id = :id"
                ),
                {"id": room_id},
            ).scalar_one()
        return {
            "status": room.status,
            "version": room.version,
            "performances": [tuple(p) for p in performances],
            "scores": scores,
        }
    finally:
        engine.dispose()


def user_id(person: WebUser) -> int:
    """Read the signed-in user's id from the page body."""
    html = person.http.get(person.base_url + "/", timeout=10).text
    marker = 'data-user-id="'
    start = html.index(marker) + len(marker)
    return int(html[start : html.index('"', start)])


def test_restarting_the_server_in_the_middle_of_a_show_loses_nothing(
    live_server, database, tmp_path
):
    mina = WebUser(live_server.url).signup("mina", "김민아")
    junho = WebUser(live_server.url).signup("junho")
    seoyeon = WebUser(live_server.url).signup("seoyeon")
    response = mina.post(
        "/rooms/",
        {"title": "Restart night", "category": "karaoke", "mode": "ranked", "capacity": "5"},
    )
    assert response.status_code == 303, response.text[:500]
    room_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    ids = {name: user_id(p) for name, p in (("mina", mina), ("junho", junho), ("seoyeon", seoyeon))}
    for person in (junho, seoyeon):
        assert person.post(f"/rooms/{room_id}/join").status_code == 303

    # First half: junho performs, gets a clap, nominates seoyeon; mina scores.
    steps = [
        (mina, "start", {"first_performer_id": ids["junho"]}),
        (seoyeon, "react", {"kind": "clap"}),
        (junho, "nominate", {"user_id": ids["seoyeon"]}),
        (junho, "end-turn", {}),
        (mina, "score", {"value": "9"}),
    ]
    for person, action, data in steps:
        response = person.post(f"/rooms/{room_id}/{action}", data)
        assert response.status_code == 303, (action, response.status_code, response.text[:300])
    before = room_row(database.url, room_id)
    assert before["performances"][0][2] == "scoring" and before["scores"] == 1

    live_server.stop()
    second = LiveServer(
        database.url,
        redis_url=os.environ.get("TEST_REDIS_URL_RESOLVED"),
        prefix=REDIS_PREFIX,
        instance_path=str(tmp_path / "instance-2"),
    ).start()
    try:
        for person in (mina, junho, seoyeon):
            person.base_url = second.url
        assert room_row(database.url, room_id) == before

        # The sessions still work, the stage is exactly where it was, and events flow.
        stage = seoyeon.http.get(f"{second.url}/rooms/{room_id}/stage", timeout=10).text
        assert "1 of 2 scores in." in stage and "/score" in stage

        received: list[dict] = []
        arrived = threading.Event()
        sock = socketio_client.Client(reconnection=False)

        @sock.on("stage")
        def _on_stage(payload):
            received.append(payload)
            arrived.set()

        sock.connect(
            second.url,
            headers={"Cookie": mina.cookie_header()},
            transports=["websocket"],
            wait_timeout=5,
        )
        assert sock.call("subscribe", {"room_id": room_id}, timeout=5)["ok"] is True

        # Second half: seoyeon's score closes junho's turn and puts her on air.
        assert seoyeon.post(f"/rooms/{room_id}/score", {"value": "8"}).status_code == 303
        assert arrived.wait(5), "no stage event after the restart"
        assert received[-1] == {"room_id": room_id, "version": before["version"] + 1}
        assert seoyeon.post(f"/rooms/{room_id}/end-turn").status_code == 303
        for person in (mina, junho):
            assert person.post(f"/rooms/{room_id}/score", {"value": "7"}).status_code == 303
        # Mina has not performed, so the show waits for her nomination; she ends it instead.
        assert room_row(database.url, room_id)["status"] == "live"
        assert mina.post(f"/rooms/{room_id}/finish").status_code == 303
        sock.disconnect()
    finally:
        second.stop()

    after = room_row(database.url, room_id)
    assert after["status"] == "finished"
    assert [(p[0], p[1], p[2], f"{float(p[3]):.2f}", p[4]) for p in after["performances"]] == [
        (ids["junho"], 1, "closed", "8.50", 1),
        (ids["seoyeon"], 2, "closed", "7.00", 0),
    ]
