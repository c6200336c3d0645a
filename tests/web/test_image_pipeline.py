"""The one image pipeline, through the real upload form: only real pictures get in, and
nothing but their pixels comes out."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from tests.support.web import csrf_token
from tests.web.posts_support import (
    jpeg,
    png,
    png_bomb,
    post_row,
    publish,
    publish_ok,
    served,
    stored_pictures,
)


@pytest.fixture
def mina(app, show_people, tmp_path):
    """A signed-in person; this test's pictures go to a folder of its own."""
    app.config["UPLOAD_DIR"] = str(tmp_path / "uploads")
    (person,) = show_people("mina")
    return person


def test_a_photo_is_resized_stripped_thumbnailed_and_cached(app, mina):
    post_id = publish_ok(mina.client, "first night #노래방", [jpeg((3000, 2000), gps=True)])
    (photo,) = post_row(app, post_id).photos
    assert (photo.width, photo.height) == (1600, 1067)
    assert max(photo.thumb_width, photo.thumb_height) == 400
    response = mina.client.get(f"/media/{photo.key}")
    assert response.headers["Content-Type"] == "image/jpeg"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "max-age=31536000" in response.headers["Cache-Control"]
    assert "immutable" in response.headers["Cache-Control"]
    image = Image.open(io.BytesIO(response.data))
    assert image.size == (1600, 1067) and image.format == "JPEG"
    assert not image.getexif()
    assert b"SecretCam" not in response.data
    assert Image.open(io.BytesIO(served(mina.client, photo.thumb_key))).size == (400, 267)


def test_gps_exif_and_jpeg_comment_are_removed(app, mina):
    original = jpeg(gps=True, comment=b"shot at home, 12 Secret Street")
    assert b"Secret Street" in original and Image.open(io.BytesIO(original)).getexif()
    post_id = publish_ok(mina.client, "", [original])
    (photo,) = post_row(app, post_id).photos
    for key in (photo.key, photo.thumb_key):
        data = served(mina.client, key)
        image = Image.open(io.BytesIO(data))
        assert not image.getexif()
        assert "comment" not in image.info and b"Secret Street" not in data
        assert b"Exif" not in data and b"SecretCam" not in data
        assert "icc_profile" not in image.info


def test_avatar_loses_its_jpeg_comment_too(app, mina):
    from tests.web.people_fixtures import user_row

    response = mina.client.post(
        "/settings/avatar",
        data={
            "csrf_token": csrf_token(mina.client),
            "avatar": (io.BytesIO(jpeg(comment=b"my home address")), "me.jpg", "image/jpeg"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    name = user_row(app, "mina").avatar_filename
    data = mina.client.get(f"/avatars/{name}").data
    assert b"my home address" not in data
    assert "comment" not in Image.open(io.BytesIO(data)).info


def test_orientation_is_applied(app, mina):
    # Stored landscape 600×300 with "rotate 90° clockwise to view" (orientation 6).
    post_id = publish_ok(mina.client, "", [jpeg((600, 300), orientation=6)])
    (photo,) = post_row(app, post_id).photos
    image = Image.open(io.BytesIO(served(mina.client, photo.key))).convert("RGB")
    assert image.size == (300, 600)
    # The green corner (top-left when stored) is top-right once turned clockwise.
    red, green, _ = image.getpixel((image.width - 10, 10))
    assert green > 200 and red < 60
    assert image.getexif().get(0x0112) is None


def test_png_and_webp_are_accepted_and_flattened_to_jpeg(app, mina):
    out = io.BytesIO()
    Image.new("RGB", (500, 500), (1, 2, 3)).save(out, "WEBP")
    post_id = publish_ok(mina.client, "", [png(), out.getvalue()])
    photos = post_row(app, post_id).photos
    assert [p.position for p in photos] == [0, 1]
    for photo in photos:
        assert Image.open(io.BytesIO(served(mina.client, photo.key))).format == "JPEG"


POLYGLOT = jpeg((64, 64)) + b"<html><script>alert(document.cookie)</script></html>"


@pytest.mark.parametrize(
    ("data", "refused"),
    [
        (b"<html><script>alert(1)</script></html>", True),
        (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect/></svg>', True),
        (b"GIF89a" + b"\x00" * 64, True),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 64, True),  # a JPEG header and nothing after it
        (POLYGLOT, False),  # a real JPEG with HTML tacked on: only its pixels survive
    ],
    ids=["html", "svg", "gif-header", "truncated-jpeg", "polyglot-jpeg-html"],
)
def test_only_real_pictures_are_stored(app, mina, data, refused):
    response = publish(mina.client, "caption", [data])
    if refused:
        assert response.status_code == 400
        assert "not a JPEG, PNG, WebP or HEIC" in response.get_data(as_text=True)
        assert stored_pictures(app) == []
        return
    assert response.status_code == 303
    for path in stored_pictures(app):
        content = path.read_bytes()
        assert b"<script" not in content and b"<html" not in content
        assert Image.open(io.BytesIO(content)).format == "JPEG"


def test_a_png_bomb_is_refused_before_decoding(app, mina):
    bomb = png_bomb(20000, 20000)  # 400 megapixels in well under a megabyte
    assert len(bomb) < 1024 * 1024
    response = publish(mina.client, "boom", [bomb])
    assert response.status_code == 400
    assert stored_pictures(app) == []


def test_an_8000_square_picture_is_accepted_at_the_limit(app, mina):
    post_id = publish_ok(mina.client, "", [jpeg((8000, 8000), quality=30)])
    (photo,) = post_row(app, post_id).photos
    assert (photo.width, photo.height) == (1600, 1600)


def test_one_bad_photo_stores_none_of_them(app, mina):
    response = publish(mina.client, "two", [jpeg(), b"<svg/>"])
    assert response.status_code == 400
    assert stored_pictures(app) == []


def test_a_fifty_megabyte_upload_is_a_clear_413(app, mina):
    response = publish(mina.client, "big", [b"\xff" * (50 * 1024 * 1024)])
    assert response.status_code == 413
    assert "8 MB" in response.get_data(as_text=True)
    assert stored_pictures(app) == []


def test_a_photo_over_eight_megabytes_is_413(app, mina):
    response = publish(mina.client, "big", [jpeg() + b"\0" * (8 * 1024 * 1024)])
    assert response.status_code == 413
    assert "8 MB" in response.get_data(as_text=True)
    assert stored_pictures(app) == []


def test_five_photos_are_refused(app, mina):
    response = publish(mina.client, "many", [jpeg((50, 50))] * 5)
    assert response.status_code == 400
    assert stored_pictures(app) == []


@pytest.mark.parametrize(
    "key", ["../secret_key", "posts/../../x.jpg", "posts/" + "0" * 32 + ".png", "x.jpg"]
)
def test_only_stored_keys_are_served(client, key):
    assert client.get(f"/media/{key}").status_code == 404
