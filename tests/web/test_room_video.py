"""The room's video mode on the create form, and the stage camera's JSON state."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Room, RoomVideo
from tests.support.web import post

FORM = {"title": "Live", "category": "karaoke", "mode": "ranked", "capacity": "6"}


def rooms_video(app) -> list[RoomVideo]:
    """Every room's video mode, oldest first."""
    with app.app_context():
        return list(db.session.scalars(select(Room.video).order_by(Room.id)))


@pytest.mark.parametrize("video", ["off", "stage", "everyone"])
def test_the_host_picks_the_video_mode(app, client, auth, make_user, video):
    make_user("mina")
    auth.login("mina")
    response = post(client, "/rooms/", dict(FORM, video=video))
    assert response.status_code == 303
    assert rooms_video(app) == [RoomVideo(video)]


def test_stage_is_the_default_and_the_form_offers_all_three(app, client, auth, make_user):
    make_user("mina")
    auth.login("mina")
    page = client.get("/rooms/new").get_data(as_text=True)
    for value in ("off", "stage", "everyone"):
        assert f'value="{value}"' in page
    assert post(client, "/rooms/", FORM).status_code == 303
    assert rooms_video(app) == [RoomVideo.STAGE]


@pytest.mark.parametrize(
    "fields",
    [{"video": "sideways"}, {"video": ""}, {"video": "everyone", "capacity": "10"}],
)
def test_bad_video_modes_are_refused_and_write_nothing(app, client, auth, make_user, fields):
    make_user("mina")
    auth.login("mina")
    response = post(client, "/rooms/", dict(FORM, **fields))
    if fields["video"] == "":
        # An empty choice is no choice: the default applies.
        assert response.status_code == 303
        return
    assert response.status_code == 400
    assert 'role="alert"' in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(Room.id))) == 0


def test_video_state_is_for_the_rooms_people_and_watchers(app, show_room, show_people):
    room_id, (mina, junho) = show_room("mina", "junho")
    (stranger,) = show_people("stranger")
    # Show rule 10: anyone logged in may watch, so a stranger reads the state as a spectator;
    # a room that does not exist is a 404.
    assert stranger.client.get(f"/rooms/{room_id}/video").status_code == 200
    assert stranger.client.get("/rooms/999999/video").status_code == 404
    lobby = junho.client.get(f"/rooms/{room_id}/video").get_json()
    assert lobby["live"] is False and lobby["senders"] == []
    assert mina.act(room_id, "start").status_code == 303
    state = junho.client.get(f"/rooms/{room_id}/video")
    assert state.headers["Cache-Control"] == "no-store"
    data = state.get_json()
    assert data["live"] is True and data["mode"] == "stage"
    assert data["performer_id"] == mina.id and data["senders"] == [mina.id]
    assert data["viewer_id"] == junho.id
    assert data["ice_servers"] == [] and data["max_viewers"] == 8
    assert mina.act(room_id, "end-turn").status_code == 303
    assert junho.client.get(f"/rooms/{room_id}/video").get_json()["senders"] == []


def test_turn_credentials_are_minted_per_user_and_expire(app, show_room):
    app.config.update(
        ICE_SERVERS='[{"urls": "stun:stun.example.org:3478"}]',
        TURN_SECRET="s3cret",
        TURN_URLS="turn:turn.example.org:3478?transport=udp, turns:turn.example.org:5349",
        TURN_TTL_SECONDS=600,
    )
    room_id, (mina, junho) = show_room("mina", "junho")
    servers = junho.client.get(f"/rooms/{room_id}/video").get_json()["ice_servers"]
    assert servers[0] == {"urls": "stun:stun.example.org:3478"}
    turn = servers[1]
    assert turn["urls"] == [
        "turn:turn.example.org:3478?transport=udp",
        "turns:turn.example.org:5349",
    ]
    _expiry, user = turn["username"].split(":")
    assert int(user) == junho.id
    expected = base64.b64encode(
        hmac.new(b"s3cret", turn["username"].encode(), hashlib.sha1).digest()
    ).decode()
    assert turn["credential"] == expected
    other = mina.client.get(f"/rooms/{room_id}/video").get_json()["ice_servers"][1]
    assert other["username"].endswith(f":{mina.id}") and other["credential"] != expected
    from app.services.video import turn_credentials

    assert turn_credentials("s3cret", 7, 600, now=1000)[0] == "1600:7"


def test_a_broken_ice_servers_setting_means_none(app, show_room):
    app.config["ICE_SERVERS"] = "{not json"
    room_id, (_, junho) = show_room("mina", "junho")
    assert junho.client.get(f"/rooms/{room_id}/video").get_json()["ice_servers"] == []


def test_the_room_page_carries_the_camera_for_members_and_spectators(
    app, client, show_room, show_people
):
    room_id, (_mina, junho) = show_room("mina", "junho")
    page = junho.client.get(f"/rooms/{room_id}").get_data(as_text=True)
    assert 'id="video-stage"' in page and "js/video.js" in page
    assert 'id="video-start"' in page and "data-watch-only" not in page
    # Logged in without a seat: a spectator sees and hears the stage, with no camera button.
    (stranger,) = show_people("stranger")
    watching = stranger.client.get(f"/rooms/{room_id}").get_data(as_text=True)
    assert 'id="video-stage"' in watching and 'data-watch-only="true"' in watching
    assert 'id="video-sound"' in watching
    for control in ("video-start", "video-toggle-camera", "video-switch", "video-stop"):
        assert f'id="{control}"' not in watching
    # Logged out: no spectator, no video.
    assert 'id="video-stage"' not in client.get(f"/rooms/{room_id}").get_data(as_text=True)
    off_id, (host, _) = show_room("host", "guest", video="off")
    assert 'id="video-stage"' not in host.client.get(f"/rooms/{off_id}").get_data(as_text=True)
    assert 'id="video-stage"' not in stranger.client.get(f"/rooms/{off_id}").get_data(as_text=True)


def test_video_state_for_a_spectator_and_a_logged_out_visitor(app, client, show_room, show_people):
    room_id, (mina, _junho) = show_room("mina", "junho")
    (stranger,) = show_people("stranger")
    assert mina.act(room_id, "start").status_code == 303
    data = stranger.client.get(f"/rooms/{room_id}/video").get_json()
    # A spectator learns who sends, and that they only receive.
    assert data["live"] is True and data["senders"] == [mina.id]
    assert data["spectator"] is True and data["viewer_id"] == stranger.id
    assert mina.client.get(f"/rooms/{room_id}/video").get_json()["spectator"] is False
    # Logged out: no state at all.
    refused = client.get(f"/rooms/{room_id}/video")
    assert refused.status_code in (302, 401)
    assert b"performer_id" not in refused.data
