"""The highlights area: posts, comments, likes, feeds, tags and stored pictures."""

from flask import Blueprint

bp = Blueprint("posts", __name__)

from app.blueprints.posts import comments, feeds, listing, media, routes, text  # noqa: E402, F401
