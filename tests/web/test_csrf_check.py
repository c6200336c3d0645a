"""The CSRF check remembers the header tokens it verified (app/csrf_check.py), and must
refuse everything Flask-WTF refuses: another session's token, a wrong one, a token that
only rode beside a valid form field, an expired one when tokens expire, and, over HTTPS,
a request from another site's page, all with a 400 that writes nothing.
"""

from __future__ import annotations

import time

import flask_wtf.csrf
import pytest

from tests.support.web import HTMX, csrf_token
from tests.web.chat_helpers import client_id, message_count, person, room_with


@pytest.fixture
def room(app):
    """Two members of one room, signed in: (mina's client, jun's client, the post URL)."""
    mina, mina_id = person(app, "mina")
    jun, jun_id = person(app, "jun")
    room_id = room_with(app, mina_id, jun_id)
    return mina, jun, f"/rooms/{room_id}/messages"


@pytest.fixture
def full_checks(monkeypatch):
    """Count Flask-WTF's full token checks (the real check still runs)."""
    calls = []
    real = flask_wtf.csrf.validate_csrf

    def counting(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(flask_wtf.csrf, "validate_csrf", counting)
    return calls


def _say(client, url: str, token: str | None, body: str = "hi", **kwargs):
    headers = dict(HTMX, **kwargs.pop("headers", {}))
    if token is not None:
        headers["X-CSRFToken"] = token
    data = {"body": body, "client_id": client_id(), **kwargs.pop("data", {})}
    return client.post(url, data=data, headers=headers, **kwargs)


def test_a_verified_token_is_checked_in_full_once(app, room, full_checks):
    mina, _jun, url = room
    token = csrf_token(mina)
    for n in range(3):
        assert _say(mina, url, token, f"line {n}").status_code == 201
    assert len(full_checks) == 1
    assert message_count(app) == 3


def test_another_sessions_token_is_refused_even_once_verified(app, room):
    mina, jun, url = room
    juns_token = csrf_token(jun)
    assert _say(jun, url, juns_token).status_code == 201
    before = message_count(app)
    answer = _say(mina, url, juns_token, "not mine")
    assert answer.status_code == 400
    assert message_count(app) == before


def test_a_wrong_or_missing_token_is_refused_after_a_right_one(app, room):
    mina, _jun, url = room
    token = csrf_token(mina)
    assert _say(mina, url, token).status_code == 201
    before = message_count(app)
    assert _say(mina, url, token[:-2] + "xx").status_code == 400
    assert _say(mina, url, None).status_code == 400
    assert message_count(app) == before


def test_a_header_that_rode_beside_a_valid_form_field_is_not_remembered(app, room):
    mina, _jun, url = room
    token = csrf_token(mina)
    forged = token[:-2] + "xx"
    # Flask-WTF checks the form field first: this passes on the field, not the header.
    assert _say(mina, url, forged, data={"csrf_token": token}).status_code == 201
    before = message_count(app)
    assert _say(mina, url, forged).status_code == 400
    assert message_count(app) == before


def test_tokens_that_expire_are_checked_every_time(app, room, full_checks):
    app.config["WTF_CSRF_TIME_LIMIT"] = 1
    mina, _jun, url = room
    token = csrf_token(mina)
    assert _say(mina, url, token).status_code == 201
    time.sleep(2.1)
    before = message_count(app)
    assert _say(mina, url, token).status_code == 400
    assert len(full_checks) == 2
    assert message_count(app) == before


def test_over_https_a_remembered_token_still_needs_our_referrer(app, room):
    mina, _jun, url = room
    https = {"base_url": "https://localhost"}
    token = csrf_token(mina)
    ours = {"Referer": "https://localhost/rooms"}
    assert _say(mina, url, token, headers=ours, **https).status_code == 201
    before = message_count(app)
    assert _say(mina, url, token, **https).status_code == 400
    theirs = {"Referer": "https://evil.test/"}
    assert _say(mina, url, token, headers=theirs, **https).status_code == 400
    assert message_count(app) == before
    assert _say(mina, url, token, "again", headers=ours, **https).status_code == 201
