"""Local accounts and social login."""

from flask import Blueprint

bp = Blueprint("auth", __name__, url_prefix="/auth")

from app.blueprints.auth import oauth_routes, routes  # noqa: E402, F401
