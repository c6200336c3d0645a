"""Link previews: Open Graph and Twitter card tags and a meta description on the room,
profile and invite pages, with whatever people typed escaped."""

from __future__ import annotations

import html
import re

from app.extensions import db
from app.models import User
from tests.support.web import post

NASTY = '"><script>alert(1)</script> & 노래방'


def meta(page: str) -> dict[str, str]:
    """Every <meta property|name=… content=…> of a page, unescaped."""
    found = {}
    for key, value in re.findall(r'<meta (?:property|name)="([^"]+)" content="([^"]*)">', page):
        found[key] = html.unescape(value)
    return found


def assert_card(page: str, title: str, url_path: str) -> None:
    """The page carries a complete, escaped card for `title` linking to `url_path`."""
    tags = meta(page)
    for key in (
        "description",
        "og:title",
        "og:description",
        "og:url",
        "og:image",
        "twitter:card",
        "twitter:title",
        "twitter:image",
    ):
        assert tags.get(key), key
    assert tags["og:title"] == title and tags["twitter:title"] == title
    assert tags["og:url"].startswith("http") and tags["og:url"].endswith(url_path)
    assert tags["og:image"].endswith(".png")
    assert "<script>" not in page.split("</head>")[0]  # nothing typed breaks out of an attribute
    assert page.count('name="description"') == 1


def test_room_page_has_an_escaped_card(app, show_people):
    (mina,) = show_people("mina")
    room_id = mina.create_room(title=NASTY, description="Ballads & <b>rock</b>")
    page = app.test_client().get(f"/rooms/{room_id}").get_data(as_text=True)
    assert_card(page, NASTY, f"/rooms/{room_id}")
    assert meta(page)["og:description"] == "Ballads & <b>rock</b>"


def test_profile_page_has_an_escaped_card(app, show_people):
    (mina,) = show_people("mina")
    with app.app_context():
        db.session.get(User, mina.id).display_name = NASTY[:40]
        db.session.commit()
    page = app.test_client().get("/users/mina").get_data(as_text=True)
    assert_card(page, f"{NASTY[:40]} (@mina)", "/users/mina")


def test_invite_page_has_an_escaped_card(app, show_people):
    (mina,) = show_people("mina")
    room_id = mina.create_room(title=NASTY)
    room_page = mina.client.get(f"/rooms/{room_id}").get_data(as_text=True)
    link = html.unescape(re.search(r'data-share-url="([^"]+)"', room_page).group(1))
    code = link.rsplit("/", 1)[1]
    page = app.test_client().get(f"/r/{code}").get_data(as_text=True)
    assert_card(page, f"You are invited: {NASTY}", f"/r/{code}")


def test_other_pages_keep_a_plain_description(client):
    page = client.get("/").get_data(as_text=True)
    assert meta(page)["description"]
    assert "og:title" not in meta(page)


def test_the_share_panel_hands_its_words_to_the_script(app, show_people):
    mina, junho = show_people("mina", "junho")
    room_id = mina.create_room(title=NASTY)
    post(junho.client, f"/rooms/{room_id}/join")
    page = junho.client.get(f"/rooms/{room_id}").get_data(as_text=True)
    panel = re.search(r"<div class=\"share-panel\"[^>]*>", page).group(0)
    assert 'data-copied="Invite link copied. Paste it anywhere!"' in panel
    assert html.unescape(re.search(r'data-share-title="([^"]*)"', panel).group(1)) == NASTY
    assert "data-share-button hidden" in page  # shown by the script; without it, the link
    assert "/invite/renew" not in page  # only the host renews
