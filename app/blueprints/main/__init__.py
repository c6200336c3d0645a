"""Home page, health check and the language switch."""

from flask import Blueprint

bp = Blueprint("main", __name__)

from app.blueprints.main import language, routes  # noqa: E402, F401
