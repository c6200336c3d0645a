"""The one image pipeline for photos and avatars: prove it is a picture, then make it safe.

Every upload goes through the same steps, each a small function:
read (size limit) → probe (format by decoding the header, pixel limit *before* decoding)
→ decode (off the event loop) → orient → flatten → resize → re-encode without metadata.
Nothing of the original file survives but its pixels, so EXIF (GPS included), XMP, ICC,
JPEG comments and anything appended to the file (an HTML polyglot, say) are gone.

HEIC/HEIF (what an iPhone camera writes) is read by pillow-heif's Pillow plugin, registered
once below, so it goes through exactly the same steps and comes out as a JPEG.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from typing import BinaryIO

import pillow_heif
from flask_babel import lazy_gettext as _l
from PIL import Image, ImageOps, UnidentifiedImageError

from app.offload import run_blocking
from app.services.errors import DomainError, InvalidInput

# Registering adds the "HEIF" format to Pillow. Only the primary image is read: thumbnails,
# depth maps and auxiliary images inside the container are never decoded. libheif applies
# the container's rotation while decoding and pillow-heif then resets the EXIF orientation,
# so exif_transpose below never turns a HEIC photo twice.
pillow_heif.register_heif_opener(thumbnails=False, depth_images=False, aux_images=False)

ALLOWED_FORMATS = ("JPEG", "PNG", "WEBP", "HEIF")
# A phone photo is 12–50 megapixels; 8000×8000 is the largest we decode. Anything larger is
# refused from its header alone, before a single pixel is decompressed.
MAX_PIXELS = 64_000_000
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
PHOTO_MAX_SIDE = 1600
THUMB_MAX_SIDE = 400
AVATAR_SIZE = (256, 256)
BACKGROUND = (30, 26, 61)  # the raised card colour, behind transparent pictures
JPEG_QUALITY = 85

_DECODE_ERRORS = (
    UnidentifiedImageError,
    Image.DecompressionBombError,
    Image.DecompressionBombWarning,
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
)


class ImageTooLarge(DomainError):
    """The file is over the upload size limit (answered with 413, see app/errors.py)."""

    default_message = _l("That picture is too large.")


class NotAnImage(InvalidInput):
    """The upload is not a JPEG, PNG, WebP or HEIC picture we can read (or is far too big)."""

    default_message = _l("That file is not a JPEG, PNG, WebP or HEIC picture.")


@dataclass(frozen=True)
class Rendition:
    """One re-encoded JPEG and its size in pixels."""

    data: bytes
    width: int
    height: int


@dataclass(frozen=True)
class ProcessedPhoto:
    """A photo ready to store: the large rendition and its thumbnail."""

    large: Rendition
    thumb: Rendition


def read_limited(
    stream: BinaryIO, max_bytes: int, *, error: type[DomainError] = ImageTooLarge
) -> bytes:
    """Read at most `max_bytes` from `stream`; raise `error` when there is more."""
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise error()
    return data


def probe(data: bytes, field: str | None = None) -> tuple[int, int]:
    """Check the header: an allowed format within the pixel limit. Decodes no pixels."""
    if not data:
        raise NotAnImage(field=field)
    try:
        with warnings.catch_warnings():
            # Pillow only warns between 1× and 2× MAX_IMAGE_PIXELS; refuse those too.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            # Only these decoders may look at the bytes (no EPS/Ghostscript, no SVG, no GIF).
            # Opening reads headers only (for HEIF: the container boxes, not the HEVC data).
            with Image.open(io.BytesIO(data), formats=ALLOWED_FORMATS) as image:
                width, height = image.size
                if image.format not in ALLOWED_FORMATS:
                    raise NotAnImage(field=field)
                image.verify()
    except _DECODE_ERRORS as exc:
        raise NotAnImage(field=field) from exc
    if not width or not height or width * height > MAX_PIXELS:
        raise NotAnImage(field=field)
    return width, height


def _decode(data: bytes, draft_side: int) -> Image.Image:
    """Decode the pixels, upright, flattened onto the card colour, as RGB without metadata."""
    with Image.open(io.BytesIO(data), formats=ALLOWED_FORMATS) as image:
        if image.format == "JPEG":
            # Let libjpeg scale by 1/2…1/8 while decoding: a fraction of the time and memory.
            image.draft("RGB", (draft_side, draft_side))
        image.load()
        image = ImageOps.exif_transpose(image)
        if image.mode in ("RGBA", "LA", "P", "PA"):
            image = image.convert("RGBA")
            flat = Image.new("RGB", image.size, BACKGROUND)
            flat.paste(image, mask=image.getchannel("A"))
            image = flat
        else:
            image = image.convert("RGB")
    # convert/resize copy `info` (JPEG comments, ICC, EXIF bytes); start from a clean slate.
    image.info = {}
    return image


def _encode(image: Image.Image) -> Rendition:
    """Re-encode `image` as a baseline JPEG with no metadata blocks at all."""
    out = io.BytesIO()
    image.info = {}
    image.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    return Rendition(out.getvalue(), image.width, image.height)


def _fit_within(image: Image.Image, side: int) -> Image.Image:
    """Return a copy no larger than `side` on either edge, keeping the aspect ratio."""
    copy = image.copy()
    copy.thumbnail((side, side), Image.Resampling.LANCZOS)
    copy.info = {}
    return copy


def _process_photo(data: bytes) -> ProcessedPhoto:
    """Decode and re-encode a post photo (runs in a real OS thread)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        image = _decode(data, PHOTO_MAX_SIDE)
    return ProcessedPhoto(
        large=_encode(_fit_within(image, PHOTO_MAX_SIDE)),
        thumb=_encode(_fit_within(image, THUMB_MAX_SIDE)),
    )


def _process_avatar(data: bytes) -> bytes:
    """Decode and square a profile picture (runs in a real OS thread)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        image = _decode(data, AVATAR_SIZE[0] * 2)
    square = ImageOps.fit(image, AVATAR_SIZE, Image.Resampling.LANCZOS)
    return _encode(square).data


def process_photo(data: bytes, *, field: str | None = "photos") -> ProcessedPhoto:
    """Validate and re-encode a post photo: ≤1,600 px plus a 400 px thumbnail."""
    probe(data, field)
    try:
        return run_blocking(_process_photo, data)
    except _DECODE_ERRORS as exc:
        raise NotAnImage(field=field) from exc


def process_avatar(data: bytes, *, field: str | None = "avatar") -> bytes:
    """Validate and re-encode a profile picture as a 256×256 JPEG."""
    probe(data, field)
    try:
        return run_blocking(_process_avatar, data)
    except _DECODE_ERRORS as exc:
        raise NotAnImage(field=field) from exc
