"""My notifications: the list, the live toast and badge, and which kinds I mute."""

from flask import Blueprint

bp = Blueprint("notifications", __name__)

from app.blueprints.notifications import routes, templating  # noqa: E402, F401
