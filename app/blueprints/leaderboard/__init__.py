"""The leaderboard area."""

from flask import Blueprint

bp = Blueprint("leaderboard", __name__)

from app.blueprints.leaderboard import routes  # noqa: E402, F401
