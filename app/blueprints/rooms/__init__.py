"""The rooms area."""

from flask import Blueprint

bp = Blueprint("rooms", __name__, url_prefix="/rooms")

from app.blueprints.rooms import routes  # noqa: E402, F401
