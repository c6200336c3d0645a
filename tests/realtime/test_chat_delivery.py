"""Chat over Socket.IO in one process: who receives what, when, once, and catching up."""

from __future__ import annotations

import re

from app.extensions import socketio
from app.realtime.events import CHAT_MESSAGE, INBOX
from tests.support.web import HTMX, post
from tests.web.chat_helpers import (
    history,
    person,
    room_channel,
    room_with,
    say,
    start_direct,
    start_group,
)

LINE = re.compile(r'<li class="chat-line[^"]*"\s+id="msg-\d+-(\d+)"')


def socket_for(app, client):
    """A Socket.IO test client sharing the browser's session."""
    sock = socketio.test_client(app, flask_test_client=client)
    assert sock.is_connected()
    return sock


def received(sock, name: str) -> list[dict]:
    """The payloads of event `name` received since the last call."""
    return [e["args"][0] for e in sock.get_received() if e["name"] == name]


def lines_of(html: str) -> dict[int, str]:
    """Map seq → the <li> html of each line in a page or fragment."""
    found = {}
    for match in LINE.finditer(html):
        end = html.index("</li>", match.start()) + len("</li>")
        found[int(match.group(1))] = html[match.start() : end]
    return found


def test_room_message_reaches_every_subscriber_once_after_commit(app):
    mina, mina_id = person(app, "mina", "김민아")
    junho, junho_id = person(app, "junho")
    room_id = room_with(app, mina_id, junho_id)
    say(mina, f"/rooms/{room_id}/messages", "first")
    channel_id = room_channel(app, room_id)
    socks = [socket_for(app, c) for c in (mina, junho)]
    for sock in socks:
        assert sock.emit("subscribe", {"channel_id": channel_id}, callback=True)["ok"]

    say(junho, f"/rooms/{room_id}/messages", "second")
    say(mina, f"/rooms/{room_id}/messages", "third")
    for sock in socks:
        events = received(sock, "chat:message")
        for payload in events:
            CHAT_MESSAGE.check(payload)
        assert [(p["channel_id"], p["seq"]) for p in events] == [(channel_id, 2), (channel_id, 3)]
        assert "second" in events[0]["html"] and "is-mine" not in events[0]["html"]
        sock.disconnect()


def test_refused_post_sends_nothing(app):
    mina, mina_id = person(app, "mina")
    room_id = room_with(app, mina_id)
    say(mina, f"/rooms/{room_id}/messages", "hello")
    sock = socket_for(app, mina)
    sock.emit("subscribe", {"channel_id": room_channel(app, room_id)}, callback=True)
    sock.get_received()
    assert say(mina, f"/rooms/{room_id}/messages", "hello").status_code == 429
    assert say(mina, f"/rooms/{room_id}/messages", "x" * 501).status_code == 400
    assert received(sock, "chat:message") == []
    sock.disconnect()


def test_subscribe_needs_present_membership(app):
    mina, mina_id = person(app, "mina")
    junho, _ = person(app, "junho")
    stranger, _ = person(app, "stranger")
    room_id = room_with(app, mina_id)
    say(mina, f"/rooms/{room_id}/messages", "room")
    group = start_group(mina, "Crew", "junho")
    room_channel_id = room_channel(app, room_id)

    outsider = socket_for(app, stranger)
    # Show rule 10: anyone logged in may follow an open room's chat as a spectator...
    assert outsider.emit("subscribe", {"channel_id": room_channel_id}, callback=True)["ok"]
    # ...but never a conversation they are not in, nor a members-only room chat.
    ack = outsider.emit("subscribe", {"channel_id": group}, callback=True)
    assert ack == {"ok": False, "error": "not_found"}
    assert post(mina, f"/rooms/{room_id}/chat-access", {"members_only": "1"}).status_code == 303
    again_outside = socket_for(app, stranger)
    ack = again_outside.emit("subscribe", {"channel_id": room_channel_id}, callback=True)
    assert ack == {"ok": False, "error": "not_found"}
    again_outside.disconnect()
    leaver = socket_for(app, junho)
    assert leaver.emit("subscribe", {"channel_id": group}, callback=True)["ok"]
    assert leaver.emit("subscribe", {"channel_id": room_channel_id}, callback=True)["ok"] is False
    post(junho, f"/chats/{group}/leave")
    again = socket_for(app, junho)
    assert again.emit("subscribe", {"channel_id": group}, callback=True)["ok"] is False
    for sock in (outsider, leaver, again):
        sock.disconnect()


def test_inbox_tells_each_member_to_fetch_their_own_counts(app):
    """A post sends every member the same count-free `inbox`; the badge counts on read."""
    mina, _mina_id = person(app, "mina")
    junho, _ = person(app, "junho")
    direct = start_direct(mina, "junho")
    group = start_group(junho, "Crew", "mina")
    mina_sock = socket_for(app, mina)
    junho_sock = socket_for(app, junho)
    mina_sock.get_received()
    junho_sock.get_received()

    say(junho, f"/chats/{direct}/messages", "one")
    say(junho, f"/chats/{direct}/messages", "two")
    inbox = received(mina_sock, "inbox")
    for payload in inbox:
        INBOX.check(payload)
    assert inbox == [{"channel_id": direct}, {"channel_id": direct}]
    assert received(junho_sock, "inbox") == [{"channel_id": direct}, {"channel_id": direct}]
    # The group's "started" line is unread too: 1 + 2.
    badge = mina.get("/chats/badge").get_data(as_text=True)
    assert 'data-unread="3"' in badge
    assert 'data-unread="0"' in junho.get("/chats/badge").get_data(as_text=True)
    # A group line reaches all its members through one emit to their rooms.
    say(mina, f"/chats/{group}/messages", "hi crew")
    assert received(mina_sock, "inbox") == [{"channel_id": group}]
    assert received(junho_sock, "inbox") == [{"channel_id": group}]
    assert 'data-unread="1"' in junho.get("/chats/badge").get_data(as_text=True)

    # Posting moved mina's own read mark in the group: only the two direct lines are left.
    assert 'data-unread="2"' in mina.get("/chats/badge").get_data(as_text=True)
    post(mina, f"/chats/{direct}/read", {"seq": "1"}, htmx=True)
    assert received(mina_sock, "inbox") == [{"channel_id": direct}]
    assert received(junho_sock, "inbox") == []  # reading is nobody else's business
    badge = mina.get("/chats/badge").get_data(as_text=True)
    assert 'data-unread="1"' in badge
    mina_sock.disconnect()
    junho_sock.disconnect()


def test_reconnecting_client_catches_up_to_a_fresh_page_load(app):
    mina, _ = person(app, "mina")
    junho, _ = person(app, "junho")
    group = start_group(mina, "Crew", "junho")
    url = f"/chats/{group}/messages"
    say(mina, url, "before the tunnel")

    # The client's state: the page it loaded plus what the socket brought.
    state = lines_of(junho.get(f"/chats/{group}").get_data(as_text=True))
    sock = socket_for(app, junho)
    assert sock.emit("subscribe", {"channel_id": group}, callback=True)["ok"]
    say(mina, url, "while connected")
    for payload in received(sock, "chat:message"):
        state.update(lines_of(payload["html_by_locale"]["en"]))  # the client's language
    sock.disconnect()

    for text in ("missed one", "missed two", "missed three"):
        say(mina, url, text)

    sock = socket_for(app, junho)  # reconnect: subscribe, then fetch after the last seq held
    assert sock.emit("subscribe", {"channel_id": group}, callback=True)["ok"]
    fetched = junho.get(url, query_string={"after": max(state)}, headers=HTMX)
    state.update(lines_of(fetched.get_data(as_text=True)))
    assert say(junho, url, "after the reconnect").status_code == 201  # mina is at her limit
    for payload in received(sock, "chat:message"):
        state.update(lines_of(payload["html_by_locale"]["en"]))

    fresh = lines_of(junho.get(url, headers=HTMX).get_data(as_text=True))
    assert sorted(state) == sorted(fresh) == list(range(1, 8))
    assert [_strip_mine(state[s]) for s in sorted(state)] == [
        _strip_mine(fresh[s]) for s in sorted(fresh)
    ]
    sock.disconnect()


def _strip_mine(html: str) -> str:
    """Pages mark the viewer's own lines; the shared push does not (chat.js marks them)."""
    return html.replace(" is-mine", "")


def test_every_client_sees_lines_in_sequence_order(app):
    people = [person(app, name) for name in ("mina", "junho", "seoyeon")]
    host_id = people[0][1]
    room_id = room_with(app, host_id, *(uid for _, uid in people[1:]))
    url = f"/rooms/{room_id}/messages"
    say(people[0][0], url, "open")
    channel_id = room_channel(app, room_id)
    socks = [socket_for(app, c) for c, _ in people]
    for sock in socks:
        sock.emit("subscribe", {"channel_id": channel_id}, callback=True)
    for n in range(4):
        for who, (client, _) in enumerate(people):
            say(client, url, f"round {n} from {who}")
    expected = list(range(2, 14))
    for sock in socks:
        seen = [p["seq"] for p in received(sock, "chat:message")]
        assert seen == expected
        sock.disconnect()
    assert history(people[1][0], url, after=1) == expected


def test_a_leaver_open_socket_stops_hearing_the_conversation(app):
    mina, _ = person(app, "mina")
    junho, _ = person(app, "junho")
    group = start_group(mina, "Crew", "junho")
    sock = socket_for(app, junho)
    assert sock.emit("subscribe", {"channel_id": group}, callback=True)["ok"]
    say(mina, f"/chats/{group}/messages", "still here")
    assert [p["seq"] for p in received(sock, "chat:message")] == [2]
    post(junho, f"/chats/{group}/leave")
    received(sock, "chat:message")  # the "left" line went out before the socket was removed
    say(mina, f"/chats/{group}/messages", "after you left")
    assert received(sock, "chat:message") == []
    sock.disconnect()


def test_inbox_goes_to_the_present_members_only(app):
    """The post's members are read with the line (one statement on PostgreSQL): everyone
    still in the conversation, the sender included, and nobody who left."""
    mina, _ = person(app, "mina")
    junho, _ = person(app, "junho")
    bora, _ = person(app, "bora")
    group = start_group(mina, "Crew", "junho bora")
    post(bora, f"/chats/{group}/leave")
    socks = {
        name: socket_for(app, client)
        for name, client in (("mina", mina), ("junho", junho), ("bora", bora))
    }
    for sock in socks.values():
        sock.get_received()

    assert say(mina, f"/chats/{group}/messages", "still here?").status_code == 201
    assert received(socks["mina"], "inbox") == [{"channel_id": group}]
    assert received(socks["junho"], "inbox") == [{"channel_id": group}]
    assert received(socks["bora"], "inbox") == []
    for sock in socks.values():
        sock.disconnect()
