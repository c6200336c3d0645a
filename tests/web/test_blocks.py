"""Blocks hide both people from each other's lists and searches and refuse follows."""

from __future__ import annotations

import pytest

from app.services import blocks
from tests.support import factories
from tests.support.web import AuthActions, post


@pytest.fixture
def people(app, make_user):
    """mina, junho and a friend who follows both; junho follows mina. Returns logged-in clients."""
    ids = {name: make_user(name, name.title()) for name in ("mina", "junho", "friend")}
    clients = {}
    for name in ids:
        clients[name] = app.test_client()
        assert AuthActions(clients[name]).login(name).status_code == 303
    assert post(clients["junho"], "/users/mina/follow").status_code == 303
    assert post(clients["mina"], "/users/junho/follow").status_code == 303
    assert post(clients["friend"], "/users/mina/follow").status_code == 303
    assert post(clients["friend"], "/users/junho/follow").status_code == 303
    return ids, clients


def _names(client, path: str) -> str:
    return client.get(path).get_data(as_text=True)


def test_blocks_hide_both_people_in_lists_and_search(app, people):
    _ids, clients = people
    assert "@junho" in _names(clients["friend"], "/users/mina/followers")
    assert post(clients["mina"], "/users/junho/block").status_code == 303

    for viewer in ("mina", "junho", "friend"):
        # Neither appears in the other's lists, whoever looks.
        assert "@junho" not in _names(clients[viewer], "/users/mina/followers"), viewer
        assert "@junho" not in _names(clients[viewer], "/users/mina/following"), viewer
        assert "@mina" not in _names(clients[viewer], "/users/junho/followers"), viewer
        assert "@mina" not in _names(clients[viewer], "/users/junho/following"), viewer
    # Each is gone from the other's search; a third person still finds both.
    assert "@junho" not in _names(clients["mina"], "/people?q=junho")
    assert "@mina" not in _names(clients["junho"], "/people?q=mina")
    assert "@junho" in _names(clients["friend"], "/people?q=junho")
    # Other people in the lists stay.
    assert "@friend" in _names(clients["mina"], "/users/mina/followers")

    assert post(clients["mina"], "/users/junho/unblock").status_code == 303
    assert "@mina" in _names(clients["junho"], "/people?q=mina")
    # Blocking ended both follows; after unblocking either may follow again.
    assert "@junho" not in _names(clients["friend"], "/users/mina/followers")
    assert post(clients["junho"], "/users/mina/follow").status_code == 303
    assert "@junho" in _names(clients["friend"], "/users/mina/followers")


def test_a_blocked_person_cannot_follow_either_way(app, people):
    _ids, clients = people
    post(clients["mina"], "/users/junho/unfollow")
    post(clients["junho"], "/users/mina/unfollow")
    post(clients["mina"], "/users/junho/block")
    assert post(clients["junho"], "/users/mina/follow").status_code == 403
    assert post(clients["mina"], "/users/junho/follow").status_code == 403
    post(clients["mina"], "/users/junho/unblock")
    assert post(clients["junho"], "/users/mina/follow").status_code == 303


def test_profile_shows_the_block_button(app, people):
    _ids, clients = people
    page = _names(clients["mina"], "/users/junho")
    assert 'action="/users/junho/block"' in page
    post(clients["mina"], "/users/junho/block")
    assert 'action="/users/junho/unblock"' in _names(clients["mina"], "/users/junho")
    assert 'action="/users/mina/block"' not in _names(clients["mina"], "/users/mina")


def test_the_checks_other_features_call(app, people):
    ids, clients = people
    post(clients["mina"], "/users/junho/block")
    # Domain errors translate their message, so the checks run inside a request.
    with app.test_request_context():
        room_id = factories.room(ids["mina"])
        assert blocks.is_blocked_between(ids["junho"], ids["mina"])
        assert blocks.is_blocked_between(ids["mina"], ids["junho"])
        assert not blocks.is_blocked_between(ids["friend"], ids["mina"])
        assert not blocks.is_blocked_between(None, ids["mina"])
        with pytest.raises(blocks.BlockedBetween):
            blocks.check_not_blocked(ids["junho"], ids["mina"])  # a direct conversation
        with pytest.raises(blocks.BlockedBetween):
            blocks.check_can_join_room(ids["junho"], room_id)
        blocks.check_can_join_room(ids["friend"], room_id)
        assert blocks.blocked_ids(ids["mina"]) == {ids["junho"]}
        assert blocks.blocked_ids(ids["junho"]) == {ids["mina"]}
        assert [user.username for user in blocks.blocked_by(ids["mina"])] == ["junho"]


def test_a_block_refuses_direct_conversations_groups_and_joining_rooms(app, people):
    ids, clients = people
    with app.test_request_context():
        room_id = factories.room(ids["mina"])
    assert post(clients["mina"], "/users/junho/block").status_code == 303
    # Either way round: the blocked person cannot reach the blocker, nor the blocker them.
    assert post(clients["junho"], "/chats/direct", {"username": "mina"}).status_code == 403
    assert post(clients["mina"], "/chats/direct", {"username": "junho"}).status_code == 403
    group = {"title": "band", "members": "mina, friend"}
    assert post(clients["junho"], "/chats/new", group).status_code == 403
    assert post(clients["junho"], f"/rooms/{room_id}/join").status_code == 403
    assert post(clients["friend"], f"/rooms/{room_id}/join").status_code == 303
    # Unblocking restores all of it.
    assert post(clients["mina"], "/users/junho/unblock").status_code == 303
    assert post(clients["junho"], "/chats/direct", {"username": "mina"}).status_code == 303
    assert post(clients["junho"], f"/rooms/{room_id}/join").status_code == 303
