"""Safety: reports, the moderator queue and log, blocks."""

from flask import Blueprint

bp = Blueprint("safety", __name__)

from app.blueprints.safety import routes  # noqa: E402, F401  (registers the views)
