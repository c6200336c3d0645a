"""The stage camera's state for the video client: who is on camera and how to connect.

Read-only JSON; the media itself never passes through Encore (docs/video.md).
"""

from __future__ import annotations

from flask import current_app, jsonify
from flask_login import current_user, login_required

from app.blueprints.rooms import bp
from app.errors import render_error, status_for
from app.services import janus_rooms
from app.services import video as video_service
from app.services.errors import DomainError


@bp.get("/<int:room_id>/video")
@login_required
def video(room_id: int):
    """Who is on camera in the room now, with ICE servers (and TURN credentials) for me."""
    try:
        state = video_service.video_state(room_id, current_user.id)
    except DomainError as error:
        return render_error(status_for(error), error.message)
    payload = state.as_json()
    payload["viewer_id"] = current_user.id
    payload["ice_servers"] = video_service.ice_servers(current_user.id)
    payload["max_viewers"] = current_app.config["VIDEO_P2P_MAX_VIEWERS"]
    # The topology: through the show's Janus VideoRoom when one is configured, else P2P.
    payload["topology"] = "janus" if janus_rooms.enabled() else "p2p"
    response = jsonify(payload)
    # Minted TURN credentials are personal and expire: never cache them.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/<int:room_id>/video/janus")
@login_required
def janus_credentials(room_id: int):
    """A short-lived token, the VideoRoom id and its pin, for a member or spectator only."""
    if not janus_rooms.enabled():
        return render_error(404)
    try:
        credentials = janus_rooms.credentials(room_id, current_user.id)
    except DomainError as error:
        return render_error(status_for(error), error.message)
    response = jsonify(credentials.as_json())
    response.headers["Cache-Control"] = "no-store"
    return response
