"""A request shed for want of a turn at the database answers without asking it anything,
not even who is signed in: a shed request that queued for the pool would defeat the point.
tests/realtime/test_shed_on_queue.py proves the same line on a real green-thread server."""

from __future__ import annotations

from app.shedding import RequestSlots
from tests.support.statements import StatementLog
from tests.web.chat_helpers import message_count, person, say, start_group


def test_a_shed_post_and_a_shed_page_send_no_statement(app):
    mina, _ = person(app, "mina")
    person(app, "junho")
    group = start_group(mina, "Crew", "junho")
    url = f"/chats/{group}/messages"
    before = message_count(app)

    app.config.update(SHED_QUEUE_SECONDS=0.01, READ_QUEUE_SECONDS=0.01)
    app.extensions["encore_request_slots"] = RequestSlots(0)
    try:
        with StatementLog(app) as log, log.during() as seen:
            fragment = say(mina, url, "hello")
            page = say(mina, url, "hello again", htmx=False)
            home = mina.get("/")
        health = mina.get("/healthz")
    finally:
        app.extensions.pop("encore_request_slots")

    assert seen == []
    assert fragment.status_code == 429
    assert int(fragment.headers["Retry-After"]) >= 1
    assert "The server is very busy right now." in fragment.get_data(as_text=True)
    assert page.status_code == 429
    assert "<html" in page.get_data(as_text=True)
    assert home.status_code == 503
    assert int(home.headers["Retry-After"]) >= 1
    assert health.status_code == 200  # health checks never queue
    assert message_count(app) == before

    assert say(mina, url, "and now it goes through").status_code == 201
    assert message_count(app) == before + 1
