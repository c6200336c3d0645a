"""HEIC/HEIF photos (what an iPhone camera writes) go through the same image pipeline:
decided by decoding, the pixel limit checked before decoding, stored as a stripped JPEG."""

from __future__ import annotations

import io

import pillow_heif
import pytest
from PIL import Image

from tests.support.web import post
from tests.web.people_fixtures import user_row
from tests.web.posts_support import (
    claim_size,
    heic,
    jpeg,
    post_row,
    publish_named,
    served,
    stored_pictures,
)

HEIC_TYPE = "image/heic"


@pytest.fixture
def mina(app, show_people, tmp_path):
    """A signed-in person; this test's pictures go to a folder of its own."""
    app.config["UPLOAD_DIR"] = str(tmp_path / "uploads")
    (person,) = show_people("mina")
    return person


def publish_heic(client, data: bytes, name: str = "IMG_0001.HEIC", kind: str = HEIC_TYPE):
    """Post one photo the way an iPhone's browser sends a HEIC file."""
    return publish_named(client, "from my phone", [(data, name, kind)])


def test_a_heic_photo_is_stored_as_a_resized_jpeg_without_metadata(app, mina):
    original = heic((2000, 1500), gps=True, xmp=b"<x:xmpmeta>SecretXMP</x:xmpmeta>")
    assert original[4:12] == b"ftypheic"
    assert b"SecretCam" in original and b"SecretXMP" in original
    response = publish_heic(mina.client, original)
    assert response.status_code == 303, response.get_data(as_text=True)[:600]
    post_id = int(response.headers["Location"].rsplit("/", 1)[1])
    (photo,) = post_row(app, post_id).photos
    assert (photo.width, photo.height) == (1600, 1200)
    assert photo.key.endswith(".jpg")
    for key, size in ((photo.key, (1600, 1200)), (photo.thumb_key, (400, 300))):
        data = served(mina.client, key)
        image = Image.open(io.BytesIO(data))
        assert image.format == "JPEG" and image.size == size
        assert not image.getexif()
        assert not {"exif", "xmp", "icc_profile", "comment"} & set(image.info)
        assert b"SecretCam" not in data and b"SecretXMP" not in data
        # The pixels survived: the body is still the photo's pink, not a blank.
        red, green, blue = image.convert("RGB").getpixel((size[0] - 5, size[1] - 5))
        assert red > 150 and green < 90 and blue > 50


def test_heic_orientation_is_applied_once(app, mina):
    # Stored landscape 600×300 with "rotate 90° clockwise to view" (orientation 6).
    response = publish_heic(mina.client, heic((600, 300), orientation=6))
    assert response.status_code == 303
    post_id = int(response.headers["Location"].rsplit("/", 1)[1])
    (photo,) = post_row(app, post_id).photos
    image = Image.open(io.BytesIO(served(mina.client, photo.key))).convert("RGB")
    assert image.size == (300, 600)
    # The green corner (top-left when stored) is top-right once turned clockwise, and not
    # bottom-right, which is where a second turn would put it.
    red, green, _ = image.getpixel((image.width - 10, 10))
    assert green > 200 and red < 60
    red, green, _ = image.getpixel((image.width - 10, image.height - 10))
    assert red > 150 and green < 90


def test_the_format_is_decided_by_decoding_not_by_name_or_type(app, mina):
    # A JPEG sent as .heic is a JPEG; HTML sent as .heic is refused.
    assert publish_heic(mina.client, jpeg((320, 200))).status_code == 303
    response = publish_heic(mina.client, b"<html><script>alert(1)</script></html>")
    assert response.status_code == 400
    assert "not a JPEG, PNG, WebP or HEIC" in response.get_data(as_text=True)
    # A real HEIC with a .jpg name and a JPEG type is still read as the HEIC it is.
    response = publish_named(mina.client, "", [(heic((320, 200)), "a.jpg", "image/jpeg")])
    assert response.status_code == 303
    assert len(stored_pictures(app)) == 4  # two photos, each with its thumbnail


def test_a_truncated_heic_is_a_clear_400(app, mina):
    original = heic((640, 400))
    response = publish_heic(mina.client, original[: len(original) // 2])
    assert response.status_code == 400
    assert "not a JPEG, PNG, WebP or HEIC" in response.get_data(as_text=True)
    assert stored_pictures(app) == []


@pytest.mark.parametrize("side", [9000, 40000])
def test_a_heic_promising_too_many_pixels_is_refused_before_decoding(app, mina, side):
    # A few kilobytes whose header claims 81 or 1,600 megapixels. The pixel limit reads the
    # header only: a decoder asked to expand it would fail on the real 64×64 data instead,
    # so the refusal below can only come from the limit.
    from app.services.images import NotAnImage, probe

    bomb = claim_size(heic((64, 64)), side, side)
    assert pillow_heif.open_heif(bomb).size == (side, side)
    with app.test_request_context(), pytest.raises(NotAnImage) as refused:
        probe(bomb)
    assert isinstance(
        refused.value.__cause__, Image.DecompressionBombError | Image.DecompressionBombWarning
    )
    response = publish_heic(mina.client, bomb)
    assert response.status_code == 400
    assert stored_pictures(app) == []


def test_a_heic_avatar_goes_through_the_same_pipeline(client, app, auth):
    auth.signup("mina", "김민아")
    response = post(
        client,
        "/settings/avatar",
        {"avatar": (io.BytesIO(heic((900, 600), gps=True)), "IMG_0002.HEIC", HEIC_TYPE)},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    name = user_row(app, "mina").avatar_filename
    data = client.get(f"/avatars/{name}").data
    image = Image.open(io.BytesIO(data))
    assert image.format == "JPEG" and image.size == (256, 256)
    assert not image.getexif() and b"SecretCam" not in data


def test_the_upload_form_offers_heic(mina):
    page = mina.client.get("/posts/new").get_data(as_text=True)
    assert "image/heic" in page and ".heic" in page
