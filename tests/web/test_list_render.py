"""Lists of people and notifications render each row through a macro imported once per
page, never an include that imports its macros again for every row (a template context
and two imports per notification, one per person).

Jinja's import walks the chain of globals key by key; on the room page, a macro import
per chat line was a fifth of the page. A change that brings the per-row import back
fails here: the imports of a page must not grow with its rows.
"""

from __future__ import annotations

from collections import Counter

import pytest
from jinja2 import Template

from app.extensions import db
from app.services.notifications.kinds import Kind
from app.services.notifications.store import record
from tests.support import factories
from tests.support.web import post
from tests.web.chat_helpers import person


@pytest.fixture
def imports(monkeypatch) -> Counter:
    """Count the template contexts made while the test runs, by template name: every import
    of a template's macros (with context or not) and every include makes one."""
    seen: Counter = Counter()
    original = Template.new_context

    def counting(self, *args, **kwargs):
        seen[self.name] += 1
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Template, "new_context", counting)
    return seen


def _followers(app, count: int, start: int) -> None:
    """Make `count` new people follow mina, over HTTP."""
    for n in range(start, start + count):
        client, _ = person(app, f"fan{n}", f"팬 {n}")
        assert post(client, "/users/mina/follow").status_code == 303


def test_a_list_of_people_imports_its_row_once(app, imports):
    mina, _ = person(app, "mina")
    _followers(app, 2, 0)
    imports.clear()
    few = mina.get("/users/mina/followers")
    assert few.status_code == 200 and few.get_data(as_text=True).count('class="person"') == 2
    few_imports = dict(imports)
    _followers(app, 8, 2)
    imports.clear()
    many = mina.get("/users/mina/followers")
    html = many.get_data(as_text=True)
    assert many.status_code == 200 and html.count('class="person"') == 10
    assert "팬 9" in html
    # Each row still has its follow button: the one include a row keeps.
    assert html.count('class="follow-form') == 10
    assert imports.pop("profiles/_follow_button.html") == 10
    assert few_imports["profiles/_person.html"] == imports["profiles/_person.html"] == 1
    # (An import without context may be served from Jinja's cache: at most one.)
    assert imports["macros/_avatar.html"] <= 1
    # Nothing else is made once a row.
    assert max(imports.values()) < 10, imports


def test_a_list_of_notifications_imports_its_row_once(app, imports):
    mina, mina_id = person(app, "mina")
    _junho, junho_id = person(app, "junho", "준호")
    with app.app_context():
        for n in range(10):
            room_id = factories.room(junho_id, title=f"Room {n}")
            record(mina_id, Kind.ROOM_OPENED, "room", room_id, junho_id)
        db.session.commit()
    imports.clear()
    # Home first: opening the notifications page marks them read.
    for path in ("/", "/notifications"):
        imports.clear()
        page = mina.get(path)
        html = page.get_data(as_text=True)
        assert page.status_code == 200
        assert html.count('class="notification is-unread"') >= 5, path
        assert "준호" in html and "Room 9" in html
        assert imports["notifications/_item.html"] == 1, (path, imports)
        assert imports["notifications/_text.html"] == 1, (path, imports)
        assert max(imports.values()) < 5, (path, imports)
