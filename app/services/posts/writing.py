"""Create, edit and delete highlights; photos go through the shared image pipeline."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import BinaryIO

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, event, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from app.database import is_sqlite, utcnow
from app.extensions import db
from app.models import Performance, Phase, Post, PostPhoto, PostTag, Tag
from app.services import blocks, sanctions, word_filter
from app.services.errors import DomainError, Forbidden, InvalidInput, NotFound
from app.services.image_store import image_store, new_key
from app.services.images import ImageTooLarge, process_photo, read_limited

BODY_MAX = 1000
MAX_PHOTOS = 4
MAX_TAGS = 10
# A tag is a run of letters, digits or underscores after `#` (Hangul included).
TAG_RE = re.compile(r"(?<![\w&])#(\w{1,40})")
# Session key of the photo files to delete once a post's delete commits.
_DOOMED_PHOTOS = "encore_doomed_post_photos"


class PhotoTooLarge(ImageTooLarge):
    """One photo is over the per-photo limit."""

    default_message = _l("Each photo must be 8 MB or smaller.")


def parse_tags(body: str) -> list[str]:
    """Return the distinct tags of `body`, lower-cased, in order of appearance."""
    seen: list[str] = []
    for match in TAG_RE.finditer(body or ""):
        name = match.group(1).casefold()
        if name not in seen:
            seen.append(name)
    return seen[:MAX_TAGS]


def normalise_tag(name: str) -> str:
    """Return the stored form of a tag typed in a URL or a search box."""
    return (name or "").lstrip("#").strip().casefold()[:40]


def _check_body(body: str) -> str:
    """Trim the body, enforce its length, and mask (or refuse) listed words."""
    body = (body or "").strip()
    if len(body) > BODY_MAX:
        raise InvalidInput(_l("Keep it to 1,000 characters."), field="body")
    return word_filter.clean(body)


def _check_performance(performance_id: int | None, author_id: int) -> int | None:
    """Return the id of one of the author's own finished turns, or refuse."""
    if performance_id is None:
        return None
    performance = db.session.get(Performance, performance_id)
    if performance is None or performance.performer_id != author_id:
        raise InvalidInput(_l("You can only link one of your own performances."), field="body")
    if performance.phase != Phase.CLOSED:
        raise InvalidInput(_l("That performance has not finished yet."), field="body")
    return performance.id


def _tag_ids(names: Sequence[str]) -> list[int]:
    """Return tag ids for `names`, creating missing tags race-free."""
    if not names:
        return []
    insert = sqlite_insert if is_sqlite() else pg_insert
    db.session.execute(
        insert(Tag).values([{"name": name} for name in names]).on_conflict_do_nothing()
    )
    return list(db.session.scalars(select(Tag.id).where(Tag.name.in_(names))))


def _set_tags(post_id: int, body: str) -> None:
    """Make the post's tags those written in its body."""
    db.session.execute(delete(PostTag).where(PostTag.post_id == post_id))
    ids = _tag_ids(parse_tags(body))
    if ids:
        db.session.add_all(PostTag(post_id=post_id, tag_id=tag_id) for tag_id in ids)


def store_photos(streams: Sequence[BinaryIO], *, max_bytes: int) -> list[dict]:
    """Validate, re-encode and store each photo; return their rows' values.

    Every photo is checked before any is stored, so a bad third photo stores nothing.
    """
    if len(streams) > MAX_PHOTOS:
        raise InvalidInput(_l("A highlight takes up to 4 photos."), field="photos")
    processed = [
        process_photo(read_limited(stream, max_bytes, error=PhotoTooLarge)) for stream in streams
    ]
    store = image_store()
    rows = []
    for position, photo in enumerate(processed):
        key = new_key("posts")
        large_key, thumb_key = f"{key}.jpg", f"{key}_t.jpg"
        store.put(large_key, photo.large.data)
        store.put(thumb_key, photo.thumb.data)
        rows.append(
            {
                "position": position,
                "key": large_key,
                "thumb_key": thumb_key,
                "width": photo.large.width,
                "height": photo.large.height,
                "thumb_width": photo.thumb.width,
                "thumb_height": photo.thumb.height,
                "size_bytes": len(photo.large.data),
            }
        )
    return rows


def discard_photos(rows: Sequence[dict]) -> None:
    """Delete stored files of photos whose post was never written."""
    store = image_store()
    for row in rows:
        store.delete(row["key"])
        store.delete(row["thumb_key"])


def create_post(
    author_id: int,
    body: str,
    photos: Sequence[BinaryIO] = (),
    *,
    performance_id: int | None = None,
    photo_max_bytes: int = 8 * 1024 * 1024,
) -> Post:
    """Write a highlight with its photos and tags; return it."""
    sanctions.check_can_post(author_id)
    body = _check_body(body)
    linked = _check_performance(performance_id, author_id)
    if not body and not photos:
        raise InvalidInput(_l("Write something or add a photo."), field="body")
    rows = store_photos(photos, max_bytes=photo_max_bytes)
    try:
        post = Post(author_id=author_id, body=body, performance_id=linked)
        db.session.add(post)
        db.session.flush()
        db.session.add_all(PostPhoto(post_id=post.id, **row) for row in rows)
        _set_tags(post.id, body)
        db.session.commit()
    except Exception:
        db.session.rollback()
        discard_photos(rows)
        raise
    return post


def get_post(post_id: int, viewer_id: int | None = None) -> Post:
    """Return the post, or raise NotFound (also when its author and the viewer are in a block)."""
    post = db.session.get(Post, post_id)
    if post is None or blocks.is_blocked_between(viewer_id, post.author_id):
        raise NotFound(_l("That highlight is gone."))
    return post


def post_exists(post_id: int, viewer_id: int | None = None) -> bool:
    """Tell whether the post exists and `viewer_id` may see it (no block with its author)."""
    return (
        db.session.scalar(
            select(Post.id).where(
                Post.id == post_id, Post.author_id.not_in(blocks.hidden_from(viewer_id))
            )
        )
        is not None
    )


def own_post(post_id: int, actor_id: int) -> Post:
    """Return the post when `actor_id` wrote it; others are refused."""
    post = get_post(post_id)
    if post.author_id != actor_id:
        raise Forbidden(_l("Only the author can change this highlight."))
    return post


def edit_post(post_id: int, actor_id: int, body: str) -> Post:
    """Change the text (and so the tags) of one's own post."""
    post = own_post(post_id, actor_id)
    sanctions.check_can_post(actor_id)
    body = _check_body(body)
    if not body and not post.photos:
        raise InvalidInput(_l("Write something or add a photo."), field="body")
    post.body = body
    post.edited_at = utcnow()
    _set_tags(post.id, body)
    db.session.commit()
    return post


def delete_post(post_id: int, actor_id: int) -> None:
    """Delete one's own post; its comments, likes and photos go with it."""
    remove_post(own_post(post_id, actor_id))


def remove_post(post: Post, *, commit: bool = True) -> None:
    """Delete `post` with its comments and likes; its photo files go once the delete commits
    (a moderator's delete commits with the report it resolves)."""
    keys = [(photo.key, photo.thumb_key) for photo in post.photos]
    db.session.delete(post)
    db.session.info.setdefault(_DOOMED_PHOTOS, []).extend(keys)
    if commit:
        db.session.commit()


@event.listens_for(Session, "after_commit")
def _delete_photo_files(session: Session) -> None:
    """Delete the files of photos whose post is now gone for good."""
    keys = session.info.pop(_DOOMED_PHOTOS, None)
    if not keys:
        return
    store = image_store()
    for large, thumb in keys:
        store.delete(large)
        store.delete(thumb)


@event.listens_for(Session, "after_rollback")
def _keep_photo_files(session: Session) -> None:
    """A delete that did not happen keeps its files."""
    session.info.pop(_DOOMED_PHOTOS, None)


def highlightable_performance(performance_id: int | None, author_id: int) -> Performance | None:
    """Return the performance a new post may link, or None (a stale link is just dropped)."""
    try:
        linked = _check_performance(performance_id, author_id)
    except DomainError:
        return None
    return db.session.get(Performance, linked) if linked else None
