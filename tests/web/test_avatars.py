"""Avatar uploads: only real JPEG/PNG/WebP/HEIC pictures, 5 MB at most, squared, EXIF gone."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image

from tests.support.web import csrf_token, post
from tests.web.people_fixtures import user_row


def png_bomb(width: int, height: int) -> bytes:
    """A valid 1-bit PNG of `width`×`height` zeros: tiny on disk, huge once decoded."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    row = b"\x00" * (1 + (width + 7) // 8)
    packer = zlib.compressobj(9)
    body = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")
    )


def photo(fmt: str = "JPEG", size=(640, 400), with_exif: bool = True) -> bytes:
    """A real picture, with EXIF (camera and GPS-ish data) when asked."""
    image = Image.new("RGB", size, (200, 40, 90))
    out = io.BytesIO()
    kwargs = {}
    if with_exif:
        exif = Image.Exif()
        exif[0x010F] = "SecretCam"  # Make
        exif[0x0131] = "leaky-software"  # Software
        kwargs["exif"] = exif.tobytes()
    image.save(out, fmt, **kwargs)
    return out.getvalue()


def upload(client, data: bytes, filename: str, content_type: str = "image/png"):
    """POST the settings avatar form with a file."""
    return post(
        client,
        "/settings/avatar",
        {"avatar": (io.BytesIO(data), filename, content_type)},
        content_type="multipart/form-data",
    )


@pytest.fixture
def mina(auth):
    auth.signup("mina", "김민아")


def stored_files(app) -> list[Path]:
    return sorted(Path(app.config["UPLOAD_DIR"]).glob("*.jpg"))


def test_good_upload_is_squared_stripped_and_served_with_nosniff(client, app, mina):
    before = set(stored_files(app))
    response = upload(client, photo(), "me.jpg", "image/jpeg")
    assert response.status_code == 303
    name = user_row(app, "mina").avatar_filename
    assert name and name.endswith(".jpg") and name != "me.jpg"
    assert len(name) == 36
    served = client.get(f"/avatars/{name}")
    assert served.status_code == 200
    assert served.headers["Content-Type"] == "image/jpeg"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    image = Image.open(io.BytesIO(served.data))
    assert image.size == (256, 256) and image.format == "JPEG"
    assert not image.getexif()
    assert b"SecretCam" not in served.data and b"leaky-software" not in served.data
    assert f"/avatars/{name}" in client.get("/users/mina").get_data(as_text=True)
    # A second picture replaces the first, which is deleted.
    assert upload(client, photo("PNG", (300, 900)), "tall.png").status_code == 303
    assert len(set(stored_files(app)) - before) == 1
    assert client.get(f"/avatars/{name}").status_code == 404


def test_webp_is_accepted(client, app, mina):
    assert upload(client, photo("WEBP", with_exif=False), "a.webp", "image/webp").status_code == 303
    assert user_row(app, "mina").avatar_filename


@pytest.mark.parametrize(
    ("data", "filename", "content_type"),
    [
        (b"<html><script>alert(1)</script></html>", "evil.png", "image/png"),
        (
            b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect/></svg>',
            "evil.svg",
            "image/svg+xml",
        ),
        (b"", "empty.png", "image/png"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "truncated.png", "image/png"),
    ],
    ids=["html-renamed-png", "svg", "empty", "truncated-png"],
)
def test_files_that_are_not_pictures_are_refused(client, app, mina, data, filename, content_type):
    before = stored_files(app)
    response = upload(client, data, filename, content_type)
    assert response.status_code == 400
    assert "not a JPEG, PNG, WebP or HEIC" in response.get_data(as_text=True)
    assert user_row(app, "mina").avatar_filename is None
    assert stored_files(app) == before


def test_gif_is_refused_even_though_it_is_a_picture(client, app, mina):
    response = upload(client, photo("GIF", with_exif=False), "a.gif", "image/gif")
    assert response.status_code == 400
    assert user_row(app, "mina").avatar_filename is None


@pytest.mark.parametrize("side", [20000, 10000], ids=["20000x20000", "10000x10000"])
def test_decompression_bombs_are_refused(client, app, mina, side):
    bomb = png_bomb(side, side)
    assert len(bomb) < 1024 * 1024  # small on the wire
    before = stored_files(app)
    response = upload(client, bomb, "bomb.png")
    assert response.status_code == 400
    assert user_row(app, "mina").avatar_filename is None
    assert stored_files(app) == before


def test_fifty_megabytes_is_413(client, app, mina):
    token = csrf_token(client)
    response = client.post(
        "/settings/avatar",
        data={"csrf_token": token, "avatar": (io.BytesIO(b"\0" * (50 * 1024 * 1024)), "big.png")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 413
    assert "5 MB" in response.get_data(as_text=True)
    assert user_row(app, "mina").avatar_filename is None


def test_just_over_five_megabytes_is_413(client, app, mina):
    big = photo() + b"\0" * (5 * 1024 * 1024)
    response = upload(client, big, "big.jpg", "image/jpeg")
    assert response.status_code == 413
    assert "5 MB" in response.get_data(as_text=True)
    assert user_row(app, "mina").avatar_filename is None


def test_missing_file_is_400(client, app, mina):
    response = post(client, "/settings/avatar", {}, content_type="multipart/form-data")
    assert response.status_code == 400
    assert "Choose a picture" in response.get_data(as_text=True)


@pytest.mark.parametrize("name", ["../secret_key", "x.svg", "0" * 32 + ".png", "nope.jpg"])
def test_only_stored_avatar_names_are_served(client, name):
    assert client.get(f"/avatars/{name}").status_code == 404
