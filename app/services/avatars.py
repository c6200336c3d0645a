"""Profile pictures: decode to prove it is an image, square it to 256×256, drop metadata."""

from __future__ import annotations

import io
import re
import secrets
import warnings
from pathlib import Path
from typing import BinaryIO

from flask_babel import lazy_gettext as _l
from PIL import Image, ImageOps, UnidentifiedImageError

from app.extensions import db
from app.models import User
from app.services.errors import DomainError, InvalidInput, NotFound

ALLOWED_FORMATS = frozenset({"JPEG", "PNG", "WEBP"})
AVATAR_SIZE = (256, 256)
# A phone photo is about 12–50 megapixels; anything far larger is a decompression bomb.
MAX_PIXELS = 64_000_000
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
FILENAME_RE = re.compile(r"^[0-9a-f]{32}\.jpg$")
BACKGROUND = (30, 26, 61)  # the raised card colour, behind transparent pictures


class AvatarTooLarge(DomainError):
    """The upload is over the size limit."""

    default_message = _l("Pictures must be 5 MB or smaller.")


class NotAnImage(InvalidInput):
    """The upload is not a JPEG, PNG or WebP picture we can read."""

    default_message = _l("That file is not a JPEG, PNG or WebP picture.")


def read_limited(stream: BinaryIO, max_bytes: int) -> bytes:
    """Read at most `max_bytes` from `stream`; raise AvatarTooLarge when there is more."""
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise AvatarTooLarge()
    return data


def normalise_image(data: bytes) -> bytes:
    """Decode `data` as JPEG/PNG/WebP and return a 256×256 JPEG without metadata."""
    if not data:
        raise NotAnImage(field="avatar")
    try:
        with warnings.catch_warnings():
            # Pillow warns (rather than refuses) between 1× and 2× the pixel limit.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            # Only these decoders may even look at the bytes (no EPS/Ghostscript, no SVG).
            with Image.open(io.BytesIO(data), formats=sorted(ALLOWED_FORMATS)) as probe:
                if probe.format not in ALLOWED_FORMATS:
                    raise NotAnImage(field="avatar")
                width, height = probe.size
                if width * height > MAX_PIXELS or not width or not height:
                    raise NotAnImage(field="avatar")
                probe.verify()
            with Image.open(io.BytesIO(data), formats=sorted(ALLOWED_FORMATS)) as image:
                image.load()
                image = ImageOps.exif_transpose(image)
                if image.mode in ("RGBA", "LA", "P"):
                    image = image.convert("RGBA")
                    flat = Image.new("RGB", image.size, BACKGROUND)
                    flat.paste(image, mask=image.getchannel("A"))
                    image = flat
                else:
                    image = image.convert("RGB")
                square = ImageOps.fit(image, AVATAR_SIZE, Image.Resampling.LANCZOS)
    except (
        UnidentifiedImageError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
        OSError,
        SyntaxError,
        ValueError,
    ) as exc:
        raise NotAnImage(field="avatar") from exc
    out = io.BytesIO()
    # A fresh image saved without `exif=` carries no EXIF, GPS or comments.
    square.save(out, "JPEG", quality=88, optimize=True)
    return out.getvalue()


def save_avatar(user_id: int, stream: BinaryIO, *, upload_dir: str, max_bytes: int) -> str:
    """Store a new avatar for the user under a random name; return the file name."""
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound()
    jpeg = normalise_image(read_limited(stream, max_bytes))
    folder = Path(upload_dir)
    folder.mkdir(parents=True, exist_ok=True)
    filename = secrets.token_hex(16) + ".jpg"
    (folder / filename).write_bytes(jpeg)
    old = user.avatar_filename
    user.avatar_filename = filename
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        (folder / filename).unlink(missing_ok=True)
        raise
    if old and FILENAME_RE.fullmatch(old):
        (folder / old).unlink(missing_ok=True)
    return filename


def is_avatar_name(filename: str) -> bool:
    """Tell whether `filename` looks like a name this service gave out."""
    return bool(FILENAME_RE.fullmatch(filename or ""))
