"""Keyset pages of posts: the following feed, Discover, a tag, search, a person's posts
and likes. Every page runs a fixed number of queries, whatever it holds."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import and_, or_, select, true
from sqlalchemy.orm import joinedload, selectinload

from app.extensions import db
from app.models import Follow, Like, Performance, Phase, Post, PostTag, Tag
from app.services import blocks
from app.services.posts.cursors import (
    ScoreKey,
    TimeKey,
    decode_score,
    decode_time,
    encode_score,
    encode_time,
)
from app.services.posts.likes import liked_posts_among

POST_KIND = 1
RESULT_KIND = 0


@dataclass
class FeedItem:
    """One row of a feed: a post, or a show result (a closed performance)."""

    kind: str
    key: TimeKey | ScoreKey
    post: Post | None = None
    performance: Performance | None = None


@dataclass
class Page:
    """A page of a feed and the cursor of the next one (None at the end)."""

    items: list[FeedItem]
    next_cursor: str | None
    liked: set[int] = field(default_factory=set)

    @property
    def posts(self) -> list[Post]:
        """The posts on this page."""
        return [item.post for item in self.items if item.post is not None]


def _post_loads(query):
    """Load everything a post card shows, in a fixed number of queries."""
    return query.options(
        joinedload(Post.author),
        joinedload(Post.performance).joinedload(Performance.room),
        selectinload(Post.photos),
        selectinload(Post.tags),
    )


def _visible_to(viewer_id: int | None):
    """SQL condition: the post's author is in no block with the viewer, either way."""
    return Post.author_id.not_in(blocks.hidden_from(viewer_id)) if viewer_id else true()


def _after(at_col, id_col, key: TimeKey | None, kind: int):
    """The keyset condition "strictly after `key`" for a source of the given kind."""
    if key is None:
        return true()
    same_instant = at_col == key.at
    if kind < key.kind:
        return or_(at_col < key.at, same_instant)
    if kind > key.kind:
        return at_col < key.at
    return or_(at_col < key.at, and_(same_instant, id_col < key.id))


def _time_page(items: list[FeedItem], limit: int, viewer_id: int | None) -> Page:
    """Sort newest first, cut to `limit`, and give the cursor of the last item shown."""
    items.sort(key=lambda item: (item.key.at, item.key.kind, item.key.id), reverse=True)
    more = len(items) > limit
    items = items[:limit]
    cursor = encode_time(items[-1].key) if more and items else None
    liked = liked_posts_among(viewer_id, [i.post.id for i in items if i.post is not None])
    return Page(items, cursor, liked)


def _posts(query, cursor: str | None, limit: int, viewer_id: int | None) -> Page:
    """Run a newest-first post query as a keyset page."""
    key = decode_time(cursor)
    rows = db.session.scalars(
        _post_loads(query)
        .where(_after(Post.created_at, Post.id, key, POST_KIND), _visible_to(viewer_id))
        .order_by(Post.created_at.desc(), Post.id.desc())
        .limit(limit + 1)
    ).unique()
    items = [
        FeedItem("post", TimeKey(post.created_at, POST_KIND, post.id), post=post) for post in rows
    ]
    return _time_page(items, limit, viewer_id)


def following_feed(viewer_id: int, cursor: str | None, limit: int) -> Page:
    """Posts and show results of the people I follow (and mine), newest first."""
    key = decode_time(cursor)
    # The ids are read first and sent as a list so PostgreSQL plans with them: for a few
    # hundred people it reads their posts by (author, time) and keeps the newest, instead
    # of walking everyone's posts newest first and skipping all but 1 in 500.
    authors = [
        viewer_id,
        *db.session.scalars(select(Follow.followed_id).where(Follow.follower_id == viewer_id)),
    ]
    # The page's ids come from a subquery without the card's joins, planned on its own;
    # joined to users and rooms, the planner preferred the walk again.
    newest = (
        select(Post.id)
        .where(
            Post.author_id.in_(authors),
            _after(Post.created_at, Post.id, key, POST_KIND),
            _visible_to(viewer_id),
        )
        .order_by(Post.created_at.desc(), Post.id.desc())
        .limit(limit + 1)
    )
    posts = db.session.scalars(
        _post_loads(select(Post))
        .where(Post.id.in_(newest))
        .order_by(Post.created_at.desc(), Post.id.desc())
    ).unique()
    results = db.session.scalars(
        select(Performance)
        .options(joinedload(Performance.room), joinedload(Performance.performer))
        .where(
            Performance.performer_id.in_(authors),
            Performance.phase == Phase.CLOSED,
            Performance.closed_at.is_not(None),
            _after(Performance.closed_at, Performance.id, key, RESULT_KIND),
        )
        .order_by(Performance.closed_at.desc(), Performance.id.desc())
        .limit(limit + 1)
    )
    items = [FeedItem("post", TimeKey(p.created_at, POST_KIND, p.id), post=p) for p in posts]
    items += [
        FeedItem("result", TimeKey(r.closed_at, RESULT_KIND, r.id), performance=r) for r in results
    ]
    return _time_page(items, limit, viewer_id)


def recent_posts(cursor: str | None, limit: int, viewer_id: int | None) -> Page:
    """Everyone's posts, newest first."""
    return _posts(select(Post), cursor, limit, viewer_id)


def discover(cursor: str | None, limit: int, viewer_id: int | None) -> Page:
    """Recent posts by the engagement score the periodic job wrote, best first."""
    key = decode_score(cursor)
    query = _post_loads(select(Post)).where(Post.discover_score > 0, _visible_to(viewer_id))
    if key is not None:
        query = query.where(
            or_(
                Post.discover_score < key.score,
                and_(Post.discover_score == key.score, Post.id < key.id),
            )
        )
    rows = list(
        db.session.scalars(
            query.order_by(Post.discover_score.desc(), Post.id.desc()).limit(limit + 1)
        ).unique()
    )
    more = len(rows) > limit
    rows = rows[:limit]
    items = [FeedItem("post", ScoreKey(p.discover_score, p.id), post=p) for p in rows]
    next_cursor = encode_score(items[-1].key) if more and items else None
    return Page(items, next_cursor, liked_posts_among(viewer_id, [p.id for p in rows]))


def has_ranking() -> bool:
    """Tell whether the Discover job has scored any post yet."""
    return db.session.scalar(select(Post.id).where(Post.discover_score > 0).limit(1)) is not None


def tag_posts(tag: str, cursor: str | None, limit: int, viewer_id: int | None) -> Page:
    """Posts carrying the tag, newest first."""
    # The tag's id is looked up first so PostgreSQL plans with that very value: joined by
    # name it guessed every tag as common and walked the posts newest first, which took
    # seconds for a tag on 30 of a million posts; by id it reads those 30 and sorts them.
    tag_id = db.session.scalar(select(Tag.id).where(Tag.name == tag))
    if tag_id is None:
        return Page([], None)
    tagged = select(PostTag.post_id).where(PostTag.tag_id == tag_id)
    return _posts(select(Post).where(Post.id.in_(tagged)), cursor, limit, viewer_id)


def search_posts(text: str, cursor: str | None, limit: int, viewer_id: int | None) -> Page:
    """Posts whose text contains every word of `text` (any case), newest first."""
    words = [w for w in (text or "").casefold().split() if w][:5]
    query = select(Post)
    for word in words:
        escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(Post.body.ilike(f"%{escaped}%", escape="\\"))
    return _posts(query, cursor, limit, viewer_id)


def user_posts(user_id: int, cursor: str | None, limit: int, viewer_id: int | None) -> Page:
    """A person's posts, newest first."""
    return _posts(select(Post).where(Post.author_id == user_id), cursor, limit, viewer_id)


def liked_posts(user_id: int, cursor: str | None, limit: int, viewer_id: int | None) -> Page:
    """The posts a person liked, most recently liked first."""
    key = decode_time(cursor)
    query = (
        _post_loads(select(Post, Like.created_at, Like.id))
        .join(Like, Like.post_id == Post.id)
        .where(
            Like.user_id == user_id,
            _after(Like.created_at, Like.id, key, POST_KIND),
            _visible_to(viewer_id),
        )
        .order_by(Like.created_at.desc(), Like.id.desc())
        .limit(limit + 1)
    )
    items = [
        FeedItem("post", TimeKey(liked_at, POST_KIND, like_id), post=post)
        for post, liked_at, like_id in db.session.execute(query).unique()
    ]
    return _time_page(items, limit, viewer_id)
