"""The room page without JavaScript: it holds still, and the stage and the chat lines
refresh in frames of their own, so a chat draft is never wiped by a refresh."""

from __future__ import annotations

import re

from tests.support.web import post
from tests.web import chat_helpers

FRAME_REFRESH = re.compile(r'<meta http-equiv="refresh" content="5">')


def _html(response) -> str:
    return response.get_data(as_text=True)


def test_a_live_room_page_frames_the_stage_and_the_chat_instead_of_reloading(show_room):
    room_id, (mina, junho) = show_room("mina", "junho")
    assert mina.act(room_id, "start").status_code == 303
    page = _html(junho.client.get(f"/rooms/{room_id}"))
    # The page itself never refreshes: the composer and its draft stay put.
    assert 'http-equiv="refresh"' not in page
    assert 'id="composer"' in page
    # Without scripts two titled frames refresh instead, and a sheet hides the stale copies.
    noscripts = re.findall(r"<noscript>(.*?)</noscript>", page, flags=re.S)
    frames = " ".join(noscripts)
    assert f'src="/rooms/{room_id}/frames/stage"' in frames
    assert f'src="/rooms/{room_id}/frames/chat"' in frames
    assert 'title="Stage"' in frames and 'title="Chat messages"' in frames
    assert "rooms-nojs" in frames
    assert 'class="stage-wrap js-only"' in page and 'class="chat-scroll js-only"' in page


def test_the_stage_frame_refreshes_itself_and_acts_on_the_whole_page(show_room):
    room_id, (mina, junho) = show_room("mina", "junho")
    assert mina.act(room_id, "start").status_code == 303
    response = junho.client.get(f"/rooms/{room_id}/frames/stage")
    html = _html(response)
    assert response.status_code == 200
    assert FRAME_REFRESH.search(html)
    assert '<base target="_top">' in html
    assert "<title>Stage · Encore</title>" in html
    assert 'id="stage"' in html and "On air" in html
    assert "<script" not in html
    # Only this site may frame it; every other answer stays unframeable.
    assert "frame-ancestors 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert response.headers["Cache-Control"] == "no-store"
    page = junho.client.get(f"/rooms/{room_id}")
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert page.headers["X-Frame-Options"] == "DENY"
    # A form in the frame posts for real and answers 303 back to the room page.
    assert mina.act(room_id, "end-turn").status_code == 303
    assert "Scoring" in _html(junho.client.get(f"/rooms/{room_id}/frames/stage"))


def test_a_finished_room_is_a_still_page_with_no_frames(show_room):
    room_id, (mina, junho) = show_room("mina", "junho")
    mina.act(room_id, "start")
    mina.act(room_id, "finish")
    page = _html(junho.client.get(f"/rooms/{room_id}"))
    assert "/frames/" not in page and "rooms-nojs" not in page
    frame = _html(junho.client.get(f"/rooms/{room_id}/frames/stage"))
    assert "Results" in frame and 'http-equiv="refresh"' not in frame


def test_visitors_see_the_stage_frame_and_an_unknown_room_is_404(client, show_room):
    room_id, people = show_room("mina", "junho")
    response = client.get(f"/rooms/{room_id}/frames/stage")
    assert response.status_code == 200 and "Lobby" in _html(response)
    missing = client.get("/rooms/999999/frames/stage")
    assert missing.status_code == 404
    assert "frame-ancestors 'self'" in missing.headers["Content-Security-Policy"]
    assert people[0].client.get("/rooms/999999/frames/chat").status_code == 404


def test_the_chat_frame_shows_the_latest_lines_escaped_and_refreshes(app):
    host, host_id = chat_helpers.person(app, "host")
    fan, _fan_id = chat_helpers.person(app, "fan")
    room_id = chat_helpers.room_with(app, host_id)
    messages = f"/rooms/{room_id}/messages"
    chat_helpers.say(host, messages, "<b>안녕하세요</b>")
    response = fan.get(f"/rooms/{room_id}/frames/chat")
    html = _html(response)
    assert response.status_code == 200
    assert "&lt;b&gt;안녕하세요&lt;/b&gt;" in html and "<b>안녕하세요</b>" not in html
    assert FRAME_REFRESH.search(html) and '<base target="_top">' in html
    assert "<title>Chat messages · Encore</title>" in html
    assert "frame-ancestors 'self'" in response.headers["Content-Security-Policy"]


def test_a_members_only_chat_frame_is_closed_to_spectators_until_it_reopens(app):
    host, host_id = chat_helpers.person(app, "host")
    fan, _fan_id = chat_helpers.person(app, "fan")
    room_id = chat_helpers.room_with(app, host_id)
    chat_helpers.say(host, f"/rooms/{room_id}/messages", "members only soon")
    assert post(host, f"/rooms/{room_id}/chat-access", {"members_only": "1"}).status_code == 303
    closed = fan.get(f"/rooms/{room_id}/frames/chat")
    assert closed.status_code == 403
    html = _html(closed)
    assert "members only soon" not in html and "Only members can read this chat now." in html
    # It keeps refreshing, so the lines come back by themselves when the chat reopens.
    assert FRAME_REFRESH.search(html)
    assert host.get(f"/rooms/{room_id}/frames/chat").status_code == 200
    assert post(host, f"/rooms/{room_id}/chat-access", {"members_only": "0"}).status_code == 303
    assert "members only soon" in _html(fan.get(f"/rooms/{room_id}/frames/chat"))


def test_visitors_are_sent_to_log_in_for_the_chat_lines(client, app):
    host, host_id = chat_helpers.person(app, "host")
    room_id = chat_helpers.room_with(app, host_id)
    chat_helpers.say(host, f"/rooms/{room_id}/messages", "for people logged in")
    response = client.get(f"/rooms/{room_id}/frames/chat")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
