"""A page of chat lines (`chat_lines` in app/blueprints/chat/templating.py) is exactly what
the `chat_line` macro renders line by line.

Ordinary lines come from the post path's pattern and are kept in the fragment store; the
rest go through the macro. Whichever way a line goes, and whether it was kept or filled
just now, the page must hold the same characters the macro gives: for awkward names and
bodies, the viewer's own lines with and without their menu, the host's menu, blocked
senders, system and removed lines, a deleted account's line, both languages and two time
zones.
"""

from __future__ import annotations

import pytest
from flask import render_template, render_template_string
from flask_babel import force_locale
from flask_login import login_user
from jinja2.runtime import Macro
from sqlalchemy import select, update

from app import fragment_cache
from app.blueprints.chat.templating import line_tools
from app.extensions import db
from app.models import Message, Room, User
from app.services import chat as chat_service
from tests.web.chat_helpers import person, room_with, say

BODIES = [
    "hello",
    "<script>alert(\"x\")</script> & 'quotes' <b>",
    "노래 한 곡 🎤 {seq} %(name)s %s",
    "qqEncoreLinebodyqq qqEncoreLineauthorqq 13:37 2001-02-03T04:37:59Z",
    "removed soon",
    "from a deleted account",
]
# The macro, line by line, as chat/_messages.html rendered the lines before chat_lines.
BY_MACRO = """{%- from "chat/_line.html" import chat_line with context -%}
{%- for message in messages %}
{{ chat_line(message) }}
{%- endfor %}"""


@pytest.fixture
def chat(app):
    """A room whose chat holds lines of every kind, posted over HTTP; returns ids."""
    mina, mina_id = person(app, "mina", '<b>"민아" & co</b>')
    junho, junho_id = person(app, "junho")
    sora, sora_id = person(app, "sora", "소라")
    room_id = room_with(app, mina_id, junho_id, sora_id)
    clients = (mina, junho, sora)
    for n, body in enumerate(BODIES):
        answer = say(clients[n % 3], f"/rooms/{room_id}/messages", body)
        assert answer.status_code == 201
    with app.app_context():
        db.session.execute(
            update(User).where(User.id == junho_id).values(timezone="America/New_York")
        )
        # What a removal and an erased account leave behind.
        db.session.execute(
            update(Message).where(Message.body == "removed soon").values(deleted_at=db.func.now())
        )
        db.session.execute(update(Message).where(Message.body == BODIES[-1]).values(sender_id=None))
        db.session.commit()
    return room_id, {"mina": mina_id, "junho": junho_id, "sora": sora_id}


def _both_ways(app, room_id: int, viewer_id: int, locale: str, *, tools: bool, hidden: set[int]):
    """Render the room's lines through chat/_messages.html and through the macro alone."""
    with app.test_request_context("/"):
        login_user(db.session.get(User, viewer_id))
        room = db.session.get(Room, room_id)
        _channel_id, latest = chat_service.room_latest(room_id)
        orm_lines = db.session.scalars(
            select(Message).where(Message.channel_id == _channel_id).order_by(Message.seq)
        ).all()
        with force_locale(locale):
            answers = []
            for lines in (latest, orm_lines):
                context = {
                    "messages": lines,
                    "has_older": False,
                    "viewer_id": viewer_id,
                    "hidden_senders": hidden,
                    "line_tools": line_tools(room) if tools else None,
                }
                page = render_template("chat/_messages.html", **context)
                answers.append((page, render_template_string(BY_MACRO, **context)))
        return answers


@pytest.mark.parametrize("locale", ["ko", "en"])
@pytest.mark.parametrize("viewer", ["mina", "junho"])
@pytest.mark.parametrize("tools", [True, False])
def test_a_page_of_lines_is_what_the_macro_renders(app, chat, locale, viewer, tools):
    room_id, ids = chat
    for hidden in (set(), {ids["sora"]}):
        fragment_cache.store._entries.clear()
        first = _both_ways(app, room_id, ids[viewer], locale, tools=tools, hidden=hidden)
        kept = _both_ways(app, room_id, ids[viewer], locale, tools=tools, hidden=hidden)
        for page, by_macro in first + kept:
            assert page == by_macro
            assert page.count("<li ") == len(BODIES)
        page = first[0][0]
        assert "&lt;script&gt;" in page and "<script>" not in page
        assert ("chat-line-hidden" in page) == bool(hidden)
        assert "is-mine" in page


def _page(app, room_id: int, viewer_id: int, *, tools: bool) -> str:
    """Render the room's newest lines for `viewer_id`, as the room page's chat panel does."""
    with app.test_request_context("/"):
        login_user(db.session.get(User, viewer_id))
        _channel_id, latest = chat_service.room_latest(room_id)
        room = db.session.get(Room, room_id)
        return render_template(
            "chat/_messages.html",
            messages=latest,
            has_older=False,
            viewer_id=viewer_id,
            hidden_senders=set(),
            line_tools=line_tools(room) if tools else None,
        )


@pytest.mark.parametrize("tools", [True, False])
def test_only_lines_without_a_pattern_or_with_a_menu_go_through_the_macro(
    app, chat, monkeypatch, tools
):
    room_id, ids = chat
    through_macro: list[str] = []
    invoke = Macro._invoke

    def counted(self, arguments, autoescape):
        if self.name == "chat_line":
            through_macro.append(arguments[0].body)
        return invoke(self, arguments, autoescape)

    monkeypatch.setattr(Macro, "_invoke", counted)
    _page(app, room_id, ids["junho"], tools=tools)
    # The removed line and the erased account's; with the menu, junho's own live line too.
    expected = {"removed soon", BODIES[-1]} | ({BODIES[1]} if tools else set())
    assert set(through_macro) == expected


def test_a_kept_line_follows_its_authors_new_name(app, chat):
    room_id, ids = chat
    assert "&lt;b&gt;&#34;민아&#34; &amp; co&lt;/b&gt;" in _page(
        app, room_id, ids["junho"], tools=False
    )
    with app.app_context():
        db.session.execute(update(User).where(User.id == ids["mina"]).values(display_name="미나"))
        db.session.commit()
    renamed = _page(app, room_id, ids["junho"], tools=False)
    assert "미나" in renamed and "민아" not in renamed
