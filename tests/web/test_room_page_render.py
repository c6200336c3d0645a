"""What rendering a room page's chat costs once its lines are kept (app/fragment_cache.py).

A kept line is copied, not rendered: nothing inside its `{% cache %}` block runs, so
nothing it needs may be set up outside the block on every line. An import of the report
link's macro outside it cost the room page a fifth of its instructions with fifty lines.
"""

from __future__ import annotations

from jinja2 import Template

from app.extensions import db
from app.services import chat as chat_service
from tests.support import factories
from tests.web.chat_helpers import person


def test_kept_chat_lines_import_nothing(app, monkeypatch):
    _mina, mina_id = person(app, "mina")
    junho, junho_id = person(app, "junho")
    with app.app_context():
        room_id = factories.room(mina_id, member_ids=[junho_id])
        channel_id = chat_service.room_channel_id(room_id)
        db.session.commit()
        for n in range(10):
            chat_service.persist(channel_id, mina_id, f"노래 {n}")
        db.session.commit()
    first = junho.get(f"/rooms/{room_id}")
    assert (
        first.status_code == 200
        and first.get_data(as_text=True).count("target_type=message&amp;") == 10
    )

    imported: list[str] = []
    original = Template._get_default_module

    def counting(self, ctx=None):
        imported.append(self.name)
        return original(self, ctx)

    monkeypatch.setattr(Template, "_get_default_module", counting)
    again = junho.get(f"/rooms/{room_id}")
    assert again.status_code == 200
    # Every line is still there with its report link, and none of them imported its macro.
    assert again.get_data(as_text=True).count("target_type=message&amp;") == 10
    assert "safety/_report_link.html" not in imported[1:], imported
