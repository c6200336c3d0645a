"""Fixtures for the room and show tests in any folder, loaded by tests/conftest.py."""

from __future__ import annotations

import pytest

from tests.web.show_support import people_factory, read_room_state, room_factory


@pytest.fixture
def room_state(app):
    """Read a room's whole state from the database: room_state(room_id) → dict."""
    return lambda room_id: read_room_state(app, room_id)


@pytest.fixture
def show_people(app, make_user):
    """Create users, each logged into a client of their own: show_people("mina", "junho")."""
    return people_factory(app, make_user)


@pytest.fixture
def show_room(show_people):
    """Open a ranked lobby room hosted by the first person, with the others seated."""
    return room_factory(show_people)


@pytest.fixture
def live_room(show_room):
    """A live ranked show of four with the host (mina) on air."""
    room_id, people = show_room("mina", "junho", "seoyeon", "dohyun")
    assert people[0].act(room_id, "start").status_code == 303
    return room_id, people


@pytest.fixture
def scoring_room(live_room):
    """The same show with mina's turn ended, so the others are scoring."""
    room_id, people = live_room
    assert people[0].act(room_id, "end-turn").status_code == 303
    return room_id, people
