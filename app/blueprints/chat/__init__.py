"""The chat area: room chat, direct and group conversations."""

from flask import Blueprint

bp = Blueprint("chat", __name__)

from app.blueprints.chat import routes, templating  # noqa: E402, F401
