"""A posted line is filled into a pattern cut from chat/_message.html (app/services/chat/render.py).

The pattern must give exactly what the template gives: the same characters for awkward
names and bodies (markup, quotes, ampersands, Korean, emoji, format codes, the pattern's
own marker words), in both languages and under a URL prefix.
"""

from __future__ import annotations

import pytest
from flask_babel import force_locale
from sqlalchemy import select, update

from app.extensions import db
from app.models import Message, User
from app.services.chat import render
from tests.web.chat_helpers import say

BODIES = [
    "hello",
    "<script>alert(\"x\")</script> & 'quotes' <b>",
    "노래 한 곡 🎤 {seq} %(name)s %s",
    "qqEncoreLinebodyqq qqEncoreLineauthorqq 13:37 2001-02-03T04:37:59Z",
]
NAMES = ["Mina", '<b>"민아" & co</b>', "qqEncoreLineseqqq"]


@pytest.fixture
def posted(app, show_room):
    """The ids of four lines posted over HTTP into a room chat, two by each member."""
    room_id, (mina, junho) = show_room("mina", "junho")
    for n, body in enumerate(BODIES):
        person = (mina, junho)[n % 2]
        assert say(person.client, f"/rooms/{room_id}/messages", body).status_code == 201
    with app.app_context():
        ids = db.session.scalars(select(Message.id).where(Message.body.in_(BODIES))).all()
    assert len(ids) == len(BODIES)
    return ids, (mina.id, junho.id)


@pytest.mark.parametrize("script_root", ["", "/encore"])
def test_a_filled_pattern_is_the_templates_line(app, posted, script_root):
    ids, senders = posted
    for name in NAMES:
        with app.app_context():
            db.session.execute(update(User).where(User.id.in_(senders)).values(display_name=name))
            db.session.commit()
        with app.test_request_context("/", base_url=f"http://localhost{script_root}/"):
            for message in db.session.scalars(select(Message).where(Message.id.in_(ids))):
                lines = render.render_line_per_locale(message)
                for locale in app.config["LANGUAGES"]:
                    with force_locale(locale):
                        expected = render.render_line_from_template(message)
                        assert render.render_line(message) == expected
                    assert lines[locale] == expected
                assert f'href="{script_root}/reports/new?target_type=message' in lines["en"]
            template = app.jinja_env.get_template("chat/_message.html")
            # The pattern did the work (one per language and prefix), not the template.
            assert {key[0] for key in render._patterns[template]} == set(app.config["LANGUAGES"])


def test_lines_the_pattern_does_not_fit_still_come_from_the_template(app, posted):
    ids, _senders = posted
    with app.test_request_context("/"):
        message = db.session.get(Message, ids[0])
        message.deleted_at = message.created_at
        lines = render.render_line_per_locale(message)
        assert "This message was removed." in lines["en"] and "hello" not in lines["en"]
        assert lines["ko"] != lines["en"]
        db.session.rollback()
