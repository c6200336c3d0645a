"""The rooms area."""

from flask import Blueprint

bp = Blueprint("rooms", __name__, url_prefix="/rooms")

from app.blueprints.rooms import frames, host_tools, routes, video  # noqa: E402, F401
