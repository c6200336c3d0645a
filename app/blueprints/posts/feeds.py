"""Lists of highlights: my feed, Discover and search, a tag, a person's posts and likes.

Each is a keyset page; htmx fetches the next page when the "more" link scrolls into view,
and without JavaScript the same link is a plain link to the next page.
"""

from __future__ import annotations

from flask import request
from flask_login import current_user, login_required

from app.blueprints.posts import bp
from app.blueprints.posts.views import cursor_arg, page_size
from app.responses import page_or_fragment, viewer_id
from app.services.accounts import get_user_by_username
from app.services.errors import NotFound
from app.services.posts import feeds
from app.services.posts.writing import normalise_tag


def _list(page: feeds.Page, **context):
    """Render a feed page, or only its items and next link for htmx."""
    return page_or_fragment("posts/list.html", "posts/_feed_page.html", feed=page, **context)


@bp.get("/feed")
@login_required
def feed():
    """Highlights and show results from the people I follow (and mine), newest first."""
    page = feeds.following_feed(current_user.id, cursor_arg(), page_size())
    return _list(page, view="feed", endpoint="posts.feed", args={})


@bp.get("/posts/")
def discover():
    """Discover: the best recent highlights; with `q`, a search over highlights."""
    query = (request.args.get("q") or "").strip()[:100]
    if query:
        page = feeds.search_posts(query, cursor_arg(), page_size(), viewer_id())
        return _list(page, view="search", endpoint="posts.discover", args={"q": query}, q=query)
    if feeds.has_ranking():
        page = feeds.discover(cursor_arg(), page_size(), viewer_id())
        ranked = True
    else:
        # Before the ranking job has run once (a fresh install), show the newest instead.
        page = feeds.recent_posts(cursor_arg(), page_size(), viewer_id())
        ranked = False
    return _list(page, view="discover", endpoint="posts.discover", args={}, ranked=ranked)


@bp.get("/tags/<tag>")
def tag(tag: str):
    """Highlights with a tag, newest first."""
    name = normalise_tag(tag)
    page = feeds.tag_posts(name, cursor_arg(), page_size(), viewer_id())
    return _list(page, view="tag", endpoint="posts.tag", args={"tag": name}, tag=name)


def _person(username: str):
    """Return the person named `username`, or 404."""
    user = get_user_by_username(username)
    if user is None:
        raise NotFound()
    return user


@bp.get("/users/<username>/posts")
def user_posts(username: str):
    """A person's highlights, newest first (a profile tab)."""
    user = _person(username)
    page = feeds.user_posts(user.id, cursor_arg(), page_size(), viewer_id())
    return _list(
        page, view="user_posts", endpoint="posts.user_posts", args={"username": username}, user=user
    )


@bp.get("/users/<username>/liked")
def user_likes(username: str):
    """The highlights a person liked, most recently liked first (a profile tab)."""
    user = _person(username)
    page = feeds.liked_posts(user.id, cursor_arg(), page_size(), viewer_id())
    return _list(
        page, view="user_likes", endpoint="posts.user_likes", args={"username": username}, user=user
    )
