"""Helpers for the highlights tests: real pictures, posting through the form, reading rows."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import pillow_heif
from PIL import Image
from sqlalchemy import select

from app.extensions import db
from app.models import Comment, Like, Post
from tests.support.web import post

GPS_IFD = 0x8825


def _marked_picture(size: tuple[int, int], color) -> Image.Image:
    """A plain picture with a green marker in one corner, so a test can see which way it
    ended up after the pipeline."""
    image = Image.new("RGB", size, color)
    image.paste((0, 255, 0), (0, 0, max(1, size[0] // 4), max(1, size[1] // 4)))
    return image


def _camera_exif(*, gps: bool, orientation: int | None) -> bytes:
    """EXIF as a phone camera writes it: its name, and optionally GPS and an orientation."""
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"
    if orientation:
        exif[0x0112] = orientation
    if gps:
        exif[GPS_IFD] = {1: "N", 2: (37.0, 33.0, 59.0), 3: "E", 4: (126.0, 58.0, 40.0)}
    return exif.tobytes()


def jpeg(
    size: tuple[int, int] = (640, 400),
    *,
    color=(200, 40, 90),
    gps: bool = False,
    comment: bytes | None = None,
    orientation: int | None = None,
    quality: int = 90,
) -> bytes:
    """A real JPEG, optionally with GPS EXIF, a JPEG comment and an orientation tag."""
    image = _marked_picture(size, color)
    kwargs = {"exif": _camera_exif(gps=gps, orientation=orientation), "quality": quality}
    if comment is not None:
        kwargs["comment"] = comment
    out = io.BytesIO()
    image.save(out, "JPEG", **kwargs)
    return out.getvalue()


def heic(
    size: tuple[int, int] = (640, 400),
    *,
    gps: bool = False,
    orientation: int | None = None,
    xmp: bytes | None = None,
) -> bytes:
    """A real HEIC (HEVC in a HEIF container, as an iPhone writes it), with a green corner,
    the camera's name in EXIF and optionally GPS, an orientation and an XMP packet."""
    image = _marked_picture(size, (200, 40, 90))
    kwargs: dict = {"quality": 80, "exif": _camera_exif(gps=gps, orientation=orientation)}
    if xmp is not None:
        kwargs["xmp"] = xmp
    out = io.BytesIO()
    # pillow-heif's own writer, so the test does not lean on the app registering the plugin.
    pillow_heif.from_pillow(image).save(out, **kwargs)
    return out.getvalue()


def claim_size(heif: bytes, width: int, height: int) -> bytes:
    """Rewrite the image-size box (`ispe`) of a one-image HEIF: a header that promises far
    more pixels than the file holds, like a decompression bomb."""
    data = bytearray(heif)
    assert data.count(b"ispe") == 1
    at = data.find(b"ispe") + 8  # after the box type and its version/flags word
    data[at : at + 8] = struct.pack(">II", width, height)
    return bytes(data)


def png(size: tuple[int, int] = (300, 300)) -> bytes:
    """A real PNG with transparency."""
    out = io.BytesIO()
    Image.new("RGBA", size, (10, 200, 30, 128)).save(out, "PNG")
    return out.getvalue()


def png_bomb(width: int, height: int) -> bytes:
    """A valid 1-bit PNG of `width`×`height` zeros: tiny on disk, huge once decoded."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        """One PNG chunk with its length and CRC."""
        crc = struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        return struct.pack(">I", len(data)) + kind + data + crc

    row = b"\x00" * (1 + (width + 7) // 8)
    packer = zlib.compressobj(9)
    body = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")
    )


def stored_pictures(app) -> list[Path]:
    """Every stored highlight picture."""
    return sorted((Path(app.config["UPLOAD_DIR"]) / "posts").glob("*.jpg"))


def served(client, key: str) -> bytes:
    """Fetch a stored picture through its route."""
    response = client.get(f"/media/{key}")
    assert response.status_code == 200
    return response.data


def publish(client, body: str = "", photos: list[bytes] | tuple = (), **extra):
    """Post a highlight through the form (multipart, like a phone would)."""
    files = [(io.BytesIO(data), f"photo{i}.jpg", "image/jpeg") for i, data in enumerate(photos)]
    return _publish_files(client, body, files, **extra)


def publish_named(client, body: str, photos: list[tuple[bytes, str, str]], **extra):
    """Post a highlight with photos given as (bytes, file name, content type)."""
    files = [(io.BytesIO(data), name, kind) for data, name, kind in photos]
    return _publish_files(client, body, files, **extra)


def _publish_files(client, body: str, files: list, **extra):
    """Send the multipart form."""
    data = {"body": body, **extra}
    if files:
        data["photos"] = files
    return post(client, "/posts/", data, content_type="multipart/form-data")


def publish_ok(client, body: str = "hello", photos=()) -> int:
    """Post a highlight and return its id."""
    response = publish(client, body, photos)
    assert response.status_code == 303, response.get_data(as_text=True)[:600]
    return int(response.headers["Location"].rsplit("/", 1)[1])


def post_row(app, post_id: int) -> Post | None:
    """Return the post row (detached), or None."""
    with app.app_context():
        row = db.session.get(Post, post_id)
        if row is not None:
            _ = row.photos
            db.session.expunge_all()
        return row


def like_rows(app, **target) -> int:
    """Count likes on a post or comment."""
    with app.app_context():
        ((column, value),) = target.items()
        return len(db.session.scalars(select(Like).where(getattr(Like, column) == value)).all())


def comment_rows(app, post_id: int) -> list[Comment]:
    """Return the comments of a post (detached)."""
    with app.app_context():
        rows = db.session.scalars(
            select(Comment).where(Comment.post_id == post_id).order_by(Comment.id)
        ).all()
        db.session.expunge_all()
        return list(rows)
