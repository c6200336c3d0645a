"""Comments and replies under a post: one level deep, counted on the post atomically."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.orm import selectinload

from app.database import begin_write, utcnow
from app.extensions import db
from app.models import Comment, Post
from app.realtime.broadcast import broadcast
from app.realtime.events import POST_COMMENTS
from app.services import blocks, sanctions, word_filter
from app.services.errors import Forbidden, InvalidInput, NotFound
from app.services.posts.cursors import TimeKey, decode_time, encode_time

BODY_MAX = 500
# Rendering a comment costs far more than reading it: a post page shows this many threads
# and a "More comments" link, so a post with thousands of comments stays fast. Ten threads
# (with their replies and reply forms) fill a phone screen several times over and keep the
# busy post page at about half the render cost of twenty (docs/benchmarks.md).
THREADS_PER_PAGE = 10


@dataclass
class Thread:
    """A top-level comment and its replies, oldest first."""

    comment: Comment
    replies: list[Comment] = field(default_factory=list)


def _check_body(body: str) -> str:
    """Trim the comment and enforce 1–500 characters."""
    body = (body or "").strip()
    if not body:
        raise InvalidInput(_l("Write a comment first."), field="body")
    if len(body) > BODY_MAX:
        raise InvalidInput(_l("Keep comments to 500 characters."), field="body")
    return word_filter.clean(body)


def _notify(post_id: int) -> None:
    """Queue the new comment count for everyone viewing the post (sent after commit)."""
    count = db.session.scalar(select(Post.comment_count).where(Post.id == post_id)) or 0
    broadcast(POST_COMMENTS, {"post_id": post_id, "comment_count": count}, f"post:{post_id}")


def add_comment(post_id: int, author_id: int, body: str, parent_id: int | None = None) -> Comment:
    """Comment on the post, or reply to one of its comments (a reply to a reply joins
    the same thread, so there is only ever one level)."""
    sanctions.check_can_post(author_id)
    body = _check_body(body)
    begin_write()
    post_author = db.session.scalar(select(Post.author_id).where(Post.id == post_id))
    if post_author is None or blocks.is_blocked_between(author_id, post_author):
        raise NotFound(_l("That highlight is gone."))
    if parent_id is not None:
        parent = db.session.get(Comment, parent_id)
        if parent is None or parent.post_id != post_id:
            raise InvalidInput(_l("That comment is gone."), field="parent_id")
        parent_id = parent.parent_id or parent.id
    comment = Comment(post_id=post_id, author_id=author_id, body=body, parent_id=parent_id)
    db.session.add(comment)
    db.session.flush()
    db.session.execute(
        update(Post).where(Post.id == post_id).values(comment_count=Post.comment_count + 1)
    )
    _notify(post_id)
    db.session.commit()
    return comment


def get_comment(comment_id: int) -> Comment:
    """Return the comment, or raise NotFound."""
    comment = db.session.get(Comment, comment_id)
    if comment is None:
        raise NotFound(_l("That comment is gone."))
    return comment


def own_comment(comment_id: int, actor_id: int) -> Comment:
    """Return the comment when `actor_id` wrote it; others are refused."""
    comment = get_comment(comment_id)
    if comment.author_id != actor_id:
        raise Forbidden(_l("Only its author can edit a comment."))
    return comment


def edit_comment(comment_id: int, actor_id: int, body: str) -> Comment:
    """Change one's own comment."""
    comment = own_comment(comment_id, actor_id)
    sanctions.check_can_post(actor_id)
    comment.body = _check_body(body)
    comment.edited_at = utcnow()
    _notify(comment.post_id)
    db.session.commit()
    return comment


def can_delete(comment: Comment, post_author_id: int, actor_id: int | None) -> bool:
    """The comment's author, or the post's author, may delete it."""
    return actor_id is not None and actor_id in (comment.author_id, post_author_id)


def delete_comment(comment_id: int, actor_id: int) -> int:
    """Delete a comment (and its replies); return the post id."""
    begin_write()
    comment = get_comment(comment_id)
    post_author = db.session.scalar(select(Post.author_id).where(Post.id == comment.post_id))
    if not can_delete(comment, post_author, actor_id):
        raise Forbidden(_l("You can only delete your own comments."))
    return remove_comment(comment)


def remove_comment(comment: Comment, *, commit: bool = True) -> int:
    """Delete `comment` and its replies, keeping the post's count in step; return the post id."""
    post_id, comment_id = comment.post_id, comment.id
    replies = db.session.execute(delete(Comment).where(Comment.parent_id == comment_id)).rowcount
    removed = db.session.execute(delete(Comment).where(Comment.id == comment_id)).rowcount
    db.session.execute(
        update(Post)
        .where(Post.id == post_id)
        .values(comment_count=Post.comment_count - replies - removed)
    )
    _notify(post_id)
    if commit:
        db.session.commit()
    return post_id


def threads(
    post_id: int, cursor: str | None = None, limit: int = THREADS_PER_PAGE
) -> tuple[list[Thread], str | None]:
    """Return a page of the post's threads, oldest first, and the cursor of the next page.

    Three queries whatever the page holds: top-level comments, their replies, and authors.
    """
    key = decode_time(cursor)
    query = select(Comment).where(Comment.post_id == post_id, Comment.parent_id.is_(None))
    if key is not None:
        query = query.where(
            or_(
                Comment.created_at > key.at,
                and_(Comment.created_at == key.at, Comment.id > key.id),
            )
        )
    tops = db.session.scalars(
        query.options(selectinload(Comment.author))
        .order_by(Comment.created_at, Comment.id)
        .limit(limit + 1)
    ).all()
    more = len(tops) > limit
    tops = tops[:limit]
    by_id = {comment.id: Thread(comment) for comment in tops}
    if by_id:
        replies = db.session.scalars(
            select(Comment)
            .where(Comment.parent_id.in_(list(by_id)))
            .options(selectinload(Comment.author))
            .order_by(Comment.created_at, Comment.id)
        )
        for reply in replies:
            by_id[reply.parent_id].replies.append(reply)
    next_cursor = None
    if more and tops:
        next_cursor = encode_time(TimeKey(tops[-1].created_at, 0, tops[-1].id))
    return [by_id[c.id] for c in tops], next_cursor
