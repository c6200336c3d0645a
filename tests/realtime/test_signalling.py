"""Video signalling over Socket.IO: only two people of the same live room reach each other."""

from __future__ import annotations

import pytest
import socketio as socketio_client

from app.extensions import socketio
from tests.support.live_server import WebUser

SDP = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
CANDIDATE = {"candidate": "candidate:1 1 udp 1 127.0.0.1 5000 typ host", "sdpMid": "0"}


def connect(app, person, room_id: int | None = None):
    """A Socket.IO test client with the person's session, subscribed to the room if given."""
    sio = socketio.test_client(app, flask_test_client=person.client)
    assert sio.is_connected()
    if room_id is not None:
        assert sio.emit("subscribe", {"room_id": room_id}, callback=True)["ok"] is True
    sio.get_received()
    return sio


def rtc(sio) -> list[tuple[str, dict]]:
    """The rtc:* events this socket received since the last call."""
    return [(m["name"], m["args"][0]) for m in sio.get_received() if m["name"].startswith("rtc:")]


@pytest.fixture
def live_rooms(show_room, show_people):
    """Two live rooms: A (mina on air, junho, seoyeon) and B (dohyun on air, eunji)."""
    room_a, (mina, junho, seoyeon) = show_room("mina", "junho", "seoyeon")
    assert mina.act(room_a, "start").status_code == 303
    dohyun, eunji = show_people("dohyun", "eunji")
    room_b = dohyun.create_room()
    assert eunji.act(room_b, "join").status_code == 303
    assert dohyun.act(room_b, "start").status_code == 303
    (stranger,) = show_people("stranger")
    return (
        room_a,
        room_b,
        {
            "mina": mina,
            "junho": junho,
            "seoyeon": seoyeon,
            "dohyun": dohyun,
            "eunji": eunji,
            "stranger": stranger,
        },
    )


def test_the_performer_reaches_one_viewer_and_only_that_viewer(app, live_rooms):
    room_a, _, p = live_rooms
    mina, junho, seoyeon = (connect(app, p[n], room_a) for n in ("mina", "junho", "seoyeon"))
    # `from` in the payload is ignored: identity comes from the session.
    ack = mina.emit(
        "rtc:offer",
        {"room_id": room_a, "to": p["junho"].id, "sdp": SDP, "from": p["seoyeon"].id},
        callback=True,
    )
    assert ack == {"ok": True}
    assert rtc(junho) == [("rtc:offer", {"room_id": room_a, "from": p["mina"].id, "sdp": SDP})]
    assert rtc(seoyeon) == []
    assert rtc(mina) == []

    answer = {"room_id": room_a, "to": p["mina"].id, "sdp": SDP}
    ack = junho.emit("rtc:answer", answer, callback=True)
    assert ack == {"ok": True}
    ack = junho.emit(
        "rtc:ice",
        {"room_id": room_a, "to": p["mina"].id, "role": "recv", "candidate": CANDIDATE},
        callback=True,
    )
    assert ack == {"ok": True}
    got = rtc(mina)
    assert [name for name, _ in got] == ["rtc:answer", "rtc:ice"]
    assert got[1][1] == {
        "room_id": room_a,
        "from": p["junho"].id,
        "role": "recv",
        "candidate": CANDIDATE,
    }
    assert rtc(seoyeon) == []


def test_announcements_go_to_the_rooms_other_sockets(app, live_rooms):
    room_a, room_b, p = live_rooms
    mina, junho, seoyeon = (connect(app, p[n], room_a) for n in ("mina", "junho", "seoyeon"))
    eunji = connect(app, p["eunji"], room_b)
    assert mina.emit("rtc:ready", {"room_id": room_a}, callback=True) == {"ok": True}
    expected = [("rtc:ready", {"room_id": room_a, "from": p["mina"].id})]
    assert rtc(junho) == expected and rtc(seoyeon) == expected
    assert rtc(mina) == [] and rtc(eunji) == []
    assert junho.emit("rtc:want", {"room_id": room_a, "to": p["mina"].id}, callback=True)["ok"]
    assert rtc(mina) == [("rtc:want", {"room_id": room_a, "from": p["junho"].id})]
    assert rtc(seoyeon) == []


def test_outsiders_are_refused_and_nothing_is_relayed(app, live_rooms):
    room_a, room_b, p = live_rooms
    insiders = [connect(app, p[n], room_a) for n in ("mina", "junho", "seoyeon")]
    stranger = connect(app, p["stranger"])
    dohyun = connect(app, p["dohyun"], room_b)
    junho_id = p["junho"].id
    attempts = [
        ("rtc:offer", {"room_id": room_a, "to": junho_id, "sdp": SDP}),
        ("rtc:ice", {"room_id": room_a, "to": junho_id, "role": "send", "candidate": CANDIDATE}),
        ("rtc:ready", {"room_id": room_a}),
        ("rtc:want", {"room_id": room_a}),
        ("rtc:stop", {"room_id": room_a, "to": junho_id, "reason": "ended"}),
    ]
    for sender in (stranger, dohyun):
        for event, payload in attempts:
            assert sender.emit(event, payload, callback=True) == {
                "ok": False,
                "error": "not_found",
            }, event
    # A member of room B naming room B but a target in room A is refused too.
    for event, payload in attempts[:2]:
        crossed = dict(payload, room_id=room_b)
        assert dohyun.emit(event, crossed, callback=True)["ok"] is False
    for sio in insiders:
        assert rtc(sio) == []


def test_only_the_performer_on_air_offers_in_a_stage_room(app, live_rooms):
    room_a, _, p = live_rooms
    mina = connect(app, p["mina"], room_a)
    junho = connect(app, p["junho"], room_a)
    payload = {"room_id": room_a, "to": p["mina"].id, "sdp": SDP}
    assert junho.emit("rtc:offer", payload, callback=True)["ok"] is False
    assert junho.emit("rtc:ready", {"room_id": room_a}, callback=True)["ok"] is False
    assert rtc(mina) == []
    # Once the turn ends nobody is on air, so the old performer's offers stop too.
    assert p["mina"].act(room_a, "end-turn").status_code == 303
    offer = {"room_id": room_a, "to": p["junho"].id, "sdp": SDP}
    assert mina.emit("rtc:offer", offer, callback=True)["ok"] is False
    assert rtc(junho) == []


@pytest.mark.parametrize(
    "payload",
    [
        None,
        "offer",
        {"to": 2, "sdp": SDP},
        {"room_id": "1", "to": 2, "sdp": SDP},
        {"room_id": True, "to": 2, "sdp": SDP},
    ],
)
def test_malformed_messages_are_refused(app, live_rooms, payload):
    room_a, _, p = live_rooms
    mina = connect(app, p["mina"], room_a)
    assert mina.emit("rtc:offer", payload, callback=True)["ok"] is False


def test_oversize_payloads_are_dropped(app, live_rooms):
    room_a, _, p = live_rooms
    mina = connect(app, p["mina"], room_a)
    junho = connect(app, p["junho"], room_a)
    big = SDP + "a=x-padding:" + "x" * app.config["RTC_MAX_PAYLOAD_BYTES"] + "\r\n"
    offer = {"room_id": room_a, "to": p["junho"].id, "sdp": big}
    ack = mina.emit("rtc:offer", offer, callback=True)
    assert ack == {"ok": False, "error": "too_large"}
    assert rtc(junho) == []


def test_each_socket_is_rate_limited(app, live_rooms):
    room_a, _, p = live_rooms
    app.config["RTC_MESSAGES_PER_10S"] = 5
    mina = connect(app, p["mina"], room_a)
    junho = connect(app, p["junho"], room_a)
    payload = {"room_id": room_a, "to": p["junho"].id, "role": "send", "candidate": CANDIDATE}
    acks = [mina.emit("rtc:ice", payload, callback=True) for _ in range(8)]
    assert [a["ok"] for a in acks] == [True] * 5 + [False] * 3
    assert acks[-1]["error"] == "rate_limited"
    assert len(rtc(junho)) == 5
    # Another socket has its own allowance.
    back = {"room_id": room_a, "to": p["mina"].id, "role": "recv", "candidate": None}
    assert junho.emit("rtc:ice", back, callback=True) == {"ok": True}


def test_no_signalling_in_a_room_with_video_off_or_not_live(app, show_room):
    room_id, (mina, junho) = show_room("mina", "junho", video="off")
    assert mina.act(room_id, "start").status_code == 303
    sio = connect(app, mina, room_id)
    payload = {"room_id": room_id, "to": junho.id, "sdp": SDP}
    assert sio.emit("rtc:offer", payload, callback=True)["ok"] is False
    lobby_id, (host, guest) = show_room("host", "guest")
    lobby = connect(app, host, lobby_id)
    payload = {"room_id": lobby_id, "to": guest.id, "sdp": SDP}
    assert lobby.emit("rtc:offer", payload, callback=True)["ok"] is False


def test_everyone_rooms_let_any_member_send(app, show_room):
    room_id, (mina, junho, seoyeon) = show_room(
        "mina", "junho", "seoyeon", video="everyone", capacity=4
    )
    assert mina.act(room_id, "start").status_code == 303
    junho_sio = connect(app, junho, room_id)
    seoyeon_sio = connect(app, seoyeon, room_id)
    payload = {"room_id": room_id, "to": seoyeon.id, "sdp": SDP}
    assert junho_sio.emit("rtc:offer", payload, callback=True) == {"ok": True}
    assert rtc(seoyeon_sio) == [("rtc:offer", {"room_id": room_id, "from": junho.id, "sdp": SDP})]


@pytest.mark.realtime
def test_a_real_server_refuses_anonymous_and_outsiders(live_server):
    anonymous = socketio_client.Client(reconnection=False)
    with pytest.raises(socketio_client.exceptions.ConnectionError):
        anonymous.connect(live_server.url, transports=["websocket"], wait_timeout=5)

    host = WebUser(live_server.url).signup("mina", "김민아")
    guest = WebUser(live_server.url).signup("junho", "이준호")
    stranger = WebUser(live_server.url).signup("stranger", "낯선 사람")
    form = {"title": "Live", "category": "karaoke", "mode": "ranked", "capacity": "4"}
    created = host.post("/rooms/", form)
    assert created.status_code == 303
    room_id = int(created.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    assert guest.post(f"/rooms/{room_id}/join").status_code == 303
    assert host.post(f"/rooms/{room_id}/start").status_code == 303
    state = guest.http.get(f"{live_server.url}/rooms/{room_id}/video", timeout=10).json()
    assert state["mode"] == "stage" and state["live"] is True

    received: list[tuple[str, dict]] = []
    sockets = {}
    for name, user in (("host", host), ("guest", guest), ("stranger", stranger)):
        sock = socketio_client.Client(reconnection=False)
        for event in ("rtc:offer", "rtc:ice"):
            sock.on(event, lambda data, event=event, name=name: received.append((name, event)))
        sock.connect(
            live_server.url,
            headers={"Cookie": user.cookie_header()},
            transports=["websocket"],
            wait_timeout=5,
        )
        sockets[name] = sock
    guest_id = state["viewer_id"]
    offer = {"room_id": room_id, "to": guest_id, "sdp": SDP}
    assert sockets["stranger"].call("rtc:offer", offer, timeout=5)["error"] == "not_found"
    ice = {"room_id": room_id, "to": guest_id, "role": "send", "candidate": CANDIDATE}
    assert sockets["stranger"].call("rtc:ice", ice, timeout=5)["ok"] is False
    assert sockets["host"].call("rtc:offer", offer, timeout=5) == {"ok": True}
    # Relays are emitted before the ack, so once the host's offer is in, anything the
    # stranger's messages had relayed would be in too.
    for _ in range(100):
        if received:
            break
        sockets["guest"].sleep(0.05)
    assert received == [("guest", "rtc:offer")]
    for sock in sockets.values():
        sock.disconnect()


def test_a_spectator_receives_the_stage_but_never_sends(app, live_rooms):
    room_a, _, p = live_rooms
    mina = connect(app, p["mina"], room_a)
    junho = connect(app, p["junho"], room_a)
    # Logged in, no seat, watching with a subscribed socket: a spectator (show rule 10).
    watcher = connect(app, p["stranger"], room_a)
    stranger_id = p["stranger"].id
    state = p["stranger"].client.get(f"/rooms/{room_a}/video").get_json()
    assert state["spectator"] is True and state["senders"] == [p["mina"].id]
    assert state["spectator_ids"] == [stranger_id]
    member_view = p["junho"].client.get(f"/rooms/{room_a}/video").get_json()
    assert member_view["spectator"] is False and member_view["spectator_ids"] == [stranger_id]

    # The spectator asks for the stream; the performer offers it as to a member.
    assert watcher.emit("rtc:want", {"room_id": room_a}, callback=True) == {"ok": True}
    assert ("rtc:want", {"room_id": room_a, "from": stranger_id}) in rtc(mina)
    rtc(junho)  # an open `want` reaches the room's other sockets too
    offer = {"room_id": room_a, "to": stranger_id, "sdp": SDP}
    assert mina.emit("rtc:offer", offer, callback=True) == {"ok": True}
    assert rtc(watcher) == [("rtc:offer", {"room_id": room_a, "from": p["mina"].id, "sdp": SDP})]
    answer = {"room_id": room_a, "to": p["mina"].id, "sdp": SDP}
    assert watcher.emit("rtc:answer", answer, callback=True) == {"ok": True}
    ice = {"room_id": room_a, "to": p["mina"].id, "role": "recv", "candidate": CANDIDATE}
    assert watcher.emit("rtc:ice", ice, callback=True) == {"ok": True}
    assert [name for name, _ in rtc(mina)] == ["rtc:answer", "rtc:ice"]

    # A spectator never sends: no announcement, no offer, to anyone.
    refused = {"ok": False, "error": "not_found"}
    assert watcher.emit("rtc:ready", {"room_id": room_a}, callback=True) == refused
    to_junho = {"room_id": room_a, "to": p["junho"].id, "sdp": SDP}
    assert watcher.emit("rtc:offer", to_junho, callback=True) == refused
    assert rtc(junho) == [] and rtc(mina) == []


def test_a_spectator_never_sends_in_an_everyone_room(app, show_room, show_people):
    room_id, (mina, junho) = show_room("mina", "junho", video="everyone", capacity=4)
    assert mina.act(room_id, "start").status_code == 303
    (watcher_person,) = show_people("watcher")
    junho_sio = connect(app, junho, room_id)
    watcher = connect(app, watcher_person, room_id)
    state = watcher_person.client.get(f"/rooms/{room_id}/video").get_json()
    assert watcher_person.id not in state["senders"] and state["spectator"] is True
    offer = {"room_id": room_id, "to": junho.id, "sdp": SDP}
    assert watcher.emit("rtc:offer", offer, callback=True)["ok"] is False
    assert watcher.emit("rtc:ready", {"room_id": room_id}, callback=True)["ok"] is False
    assert rtc(junho_sio) == []


def test_a_stranger_not_watching_is_neither_listed_nor_reached(app, live_rooms):
    room_a, _, p = live_rooms
    mina = connect(app, p["mina"], room_a)
    # Logged in but with no socket in the room: not a spectator of it.
    loose = connect(app, p["stranger"])
    state = p["junho"].client.get(f"/rooms/{room_a}/video").get_json()
    assert state["spectator_ids"] == []
    offer = {"room_id": room_a, "to": p["stranger"].id, "sdp": SDP}
    assert mina.emit("rtc:offer", offer, callback=True) == {"ok": False, "error": "not_found"}
    assert loose.emit("rtc:want", {"room_id": room_a}, callback=True)["ok"] is False
    assert rtc(loose) == [] and rtc(mina) == []
