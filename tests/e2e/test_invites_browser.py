"""Sharing a room in a real Chromium: the Share button copies the invite link when the Web
Share API is absent, uses it when present, and the QR code decodes to the same link."""

from __future__ import annotations

import io

import pytest
from playwright.sync_api import expect

from tests.e2e.show import Person, open_room
from tests.e2e.support import sign_up, unique

pytestmark = pytest.mark.e2e

NO_WEB_SHARE = "delete Navigator.prototype.share; delete Navigator.prototype.canShare;"
RECORDING_SHARE = """
Navigator.prototype.share = function (data) {
  window.__shared = data;
  return Promise.resolve();
};
Navigator.prototype.canShare = function () { return true; };
"""


def host_on_phone(browsers, script: str) -> Person:
    """A phone whose browser runs `script` first, signed up as a host."""
    context = browsers.phone()
    context.add_init_script(script=script)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=browsers.base_url)
    page = context.new_page()
    username = unique("host")
    sign_up(page, username, "민준")
    return Person(page, username, "민준")


def test_share_falls_back_to_copying_when_web_share_is_absent(browsers):
    host = host_on_phone(browsers, NO_WEB_SHARE)
    open_room(host, "Share night")
    page = host.page
    link = page.get_by_label("Invite link").input_value()
    assert "/r/" in link
    assert page.evaluate("() => typeof navigator.share") == "undefined"

    page.get_by_role("button", name="Share", exact=True).click()
    expect(page.get_by_role("status").filter(has_text="Invite link copied")).to_be_visible()
    assert page.evaluate("() => navigator.clipboard.readText()") == link


def test_share_uses_the_web_share_api_when_there_is_one(browsers):
    host = host_on_phone(browsers, RECORDING_SHARE)
    open_room(host, "Phone night")
    page = host.page
    link = page.get_by_label("Invite link").input_value()
    page.get_by_role("button", name="Share", exact=True).click()
    shared = page.wait_for_function("() => window.__shared").json_value()
    assert shared["url"] == link and shared["title"] == "Phone night"
    expect(page.get_by_role("status").filter(has_text="Invite link copied")).to_have_count(0)


def test_the_qr_code_decodes_to_the_invite_link_which_a_visitor_can_open(browsers):
    zxingcpp = pytest.importorskip("zxingcpp")
    image = pytest.importorskip("PIL.Image")
    host = host_on_phone(browsers, NO_WEB_SHARE)
    open_room(host, "QR night")
    page = host.page
    link = page.get_by_label("Invite link").input_value()

    page.get_by_role("link", name="Show QR code").click()
    qr = page.get_by_role("img", name="QR code of the invite link to QR night")
    expect(qr).to_be_visible()
    page.wait_for_function(
        "() => { const i = document.querySelector('.qr-image');"
        " return i.complete && i.naturalWidth > 0; }"
    )
    png = qr.screenshot()  # Chromium renders the SVG; the decoder reads the pixels
    decoded = zxingcpp.read_barcodes(image.open(io.BytesIO(png)).convert("L"))
    assert [result.text for result in decoded] == [link]

    visitor = browsers.phone().new_page()
    visitor.goto(link)
    expect(visitor.get_by_role("heading", level=1, name="QR night")).to_be_visible()
    expect(visitor.get_by_role("link", name="Sign up and join")).to_be_visible()
