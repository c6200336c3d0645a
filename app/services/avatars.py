"""Profile pictures: through the shared image pipeline, squared to 256×256, stored by key."""

from __future__ import annotations

import re
from typing import BinaryIO

from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models import User
from app.services.errors import NotFound
from app.services.image_store import image_store, new_key
from app.services.images import ImageTooLarge, NotAnImage, process_avatar, read_limited

FILENAME_RE = re.compile(r"^[0-9a-f]{32}\.jpg$")

__all__ = ["AvatarTooLarge", "NotAnImage", "is_avatar_name", "save_avatar"]


class AvatarTooLarge(ImageTooLarge):
    """The upload is over the avatar size limit."""

    default_message = _l("Pictures must be 5 MB or smaller.")


def save_avatar(user_id: int, stream: BinaryIO, *, max_bytes: int) -> str:
    """Store a new avatar for the user under a random key; return the key."""
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound()
    jpeg = process_avatar(read_limited(stream, max_bytes, error=AvatarTooLarge))
    store = image_store()
    filename = new_key() + ".jpg"
    store.put(filename, jpeg)
    old = user.avatar_filename
    user.avatar_filename = filename
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        store.delete(filename)
        raise
    if old and FILENAME_RE.fullmatch(old):
        store.delete(old)
    return filename


def is_avatar_name(filename: str) -> bool:
    """Tell whether `filename` looks like a name this service gave out."""
    return bool(FILENAME_RE.fullmatch(filename or ""))
