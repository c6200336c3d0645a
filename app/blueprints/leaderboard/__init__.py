"""The leaderboard area."""

from flask import Blueprint

bp = Blueprint("leaderboard", __name__)

from app.blueprints.leaderboard import cli, routes  # noqa: E402, F401
