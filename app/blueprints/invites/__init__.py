"""Invite links, their QR codes and the share panel of a room."""

from flask import Blueprint

bp = Blueprint("invites", __name__)

from app.blueprints.invites import routes, templating  # noqa: E402, F401
