"""The show flow over HTTP: start, turns, nominations, scores, averages, results."""

from __future__ import annotations

from decimal import Decimal

from app.models import Phase, RoomStatus


def test_a_whole_ranked_show_plays_to_the_podium(app, show_room, room_state):
    room_id, (mina, junho, seoyeon, dohyun) = show_room("mina", "junho", "seoyeon", "dohyun")

    assert mina.act(room_id, "start").status_code == 303
    state = room_state(room_id)
    assert state["status"] == RoomStatus.LIVE
    assert state["performances"] == [(mina.id, 1, Phase.ON_AIR, None, False, None)]

    # Second edition (rule 11): mina is on air and may not react to herself.
    assert mina.act(room_id, "react", {"kind": "clap"}).status_code == 403
    assert seoyeon.act(room_id, "react", {"kind": "clap"}).status_code == 303
    assert junho.act(room_id, "react", {"kind": "mirror_ball"}).status_code == 303
    assert mina.act(room_id, "nominate", {"user_id": junho.id}).status_code == 303
    assert mina.act(room_id, "end-turn").status_code == 303
    for person, value in ((junho, 7), (seoyeon, 8), (dohyun, 8)):
        assert person.act(room_id, "score", {"value": str(value)}).status_code == 303

    state = room_state(room_id)
    first, second = state["performances"]
    assert first == (mina.id, 1, Phase.CLOSED, Decimal("7.67"), True, junho.id)
    assert second == (junho.id, 2, Phase.ON_AIR, None, False, None)

    # Junho nominates nobody; the host picks after the close.
    assert junho.act(room_id, "end-turn", htmx=True).status_code == 200
    for person, value in ((mina, 10), (seoyeon, 9)):
        assert person.act(room_id, "score", {"value": str(value)}).status_code == 303
    assert mina.act(room_id, "close-scoring").status_code == 303
    state = room_state(room_id)
    assert state["performances"][1][:4] == (junho.id, 2, Phase.CLOSED, Decimal("9.50"))
    assert state["status"] == RoomStatus.LIVE

    assert mina.act(room_id, "nominate", {"user_id": seoyeon.id}).status_code == 303
    assert room_state(room_id)["performances"][2][:3] == (seoyeon.id, 3, Phase.ON_AIR)
    assert seoyeon.act(room_id, "nominate", {"user_id": dohyun.id}).status_code == 303
    assert mina.act(room_id, "end-turn").status_code == 303
    for person in (mina, junho, dohyun):
        assert person.act(room_id, "score", {"value": "6"}).status_code == 303
    assert dohyun.act(room_id, "end-turn").status_code == 303
    for person in (mina, junho, seoyeon):
        assert person.act(room_id, "score", {"value": "10"}).status_code == 303

    state = room_state(room_id)
    assert state["status"] == RoomStatus.FINISHED
    assert [p[3] for p in state["performances"]] == [
        Decimal("7.67"),
        Decimal("9.50"),
        Decimal("6.00"),
        Decimal("10.00"),
    ]
    page = mina.client.get(f"/rooms/{room_id}").get_data(as_text=True)
    assert "Results" in page and "podium" in page
    podium = page[page.index('class="podium"') : page.index("</ol>")]
    assert podium.index("dohyun") < podium.index("junho") < podium.index("mina")
