"""Invite links over HTTP: a visitor signs up and lands in the room; revoked and unknown
codes are 404; codes are unguessable and guessing is throttled; the QR code is SVG."""

from __future__ import annotations

import html
import re

from sqlalchemy import select

from app.extensions import db
from app.models import RoomInvite, RoomMember
from tests.support.web import AuthActions, post

SHARE_LINK = re.compile(r'data-share-url="([^"]+)"')


def invite_link(person, room_id: int) -> str:
    """Read the invite link off the room page, as a member sees it in the share panel."""
    page = person.client.get(f"/rooms/{room_id}").get_data(as_text=True)
    match = SHARE_LINK.search(page)
    assert match, "no share panel on the room page"
    return html.unescape(match.group(1))


def path_of(url: str) -> str:
    """The path of an absolute URL from the test client."""
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def test_a_visitor_opens_the_link_signs_up_lands_in_the_room_and_joins(app, show_room):
    room_id, (host, _guest) = show_room("mina", "junho")
    link = invite_link(host, room_id)
    assert re.search(r"/r/[A-Za-z0-9_-]{22}$", link)

    visitor = app.test_client()
    page = visitor.get(path_of(link))
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Friday karaoke" in text and "mina" in text
    assert "2 of 10 seats" in text
    signup = re.search(r'href="(/auth/signup\?next=[^"]+)"', text).group(1)
    assert html.unescape(signup) == f"/auth/signup?next=/rooms/{room_id}"

    form = visitor.get(html.unescape(signup)).get_data(as_text=True)
    assert f'value="/rooms/{room_id}"' in form  # `next` rides along in the form
    response = post(
        visitor,
        "/auth/signup",
        {
            "username": "hana",
            "display_name": "한아",
            "password": "correct horse",
            "next": f"/rooms/{room_id}",
        },
    )
    assert response.status_code == 303
    assert response.headers["Location"] == f"/rooms/{room_id}"
    room_page = visitor.get(response.headers["Location"]).get_data(as_text=True)
    assert "Join this room" in room_page
    assert post(visitor, f"/rooms/{room_id}/join").status_code == 303
    with app.app_context():
        seated = db.session.scalars(
            select(RoomMember.user_id).where(RoomMember.room_id == room_id)
        ).all()
    assert len(seated) == 3


def test_a_visitor_who_logs_in_instead_also_lands_in_the_room(app, show_room, make_user):
    room_id, (host, _guest) = show_room("mina", "junho")
    make_user("hana")
    visitor = app.test_client()
    text = visitor.get(path_of(invite_link(host, room_id))).get_data(as_text=True)
    assert f"/auth/login?next=/rooms/{room_id}" in html.unescape(text)
    response = AuthActions(visitor).login("hana", next=f"/rooms/{room_id}")
    assert response.headers["Location"] == f"/rooms/{room_id}"


def test_an_unsafe_next_never_leaves_the_site(app, show_room):
    visitor = app.test_client()
    response = post(
        visitor,
        "/auth/signup",
        {
            "username": "hana",
            "display_name": "한아",
            "password": "correct horse",
            "next": "https://evil.example/r/x",
        },
    )
    assert response.status_code == 303
    assert not response.headers["Location"].startswith("https://evil")


def test_a_member_opening_the_link_goes_straight_to_the_room(show_room):
    room_id, (host, guest) = show_room("mina", "junho")
    response = guest.client.get(path_of(invite_link(host, room_id)))
    assert response.status_code == 303
    assert response.headers["Location"] == f"/rooms/{room_id}"


def test_everyone_sees_the_same_link_and_only_the_host_can_renew_it(app, show_room):
    room_id, (host, guest) = show_room("mina", "junho")
    link = invite_link(host, room_id)
    assert invite_link(guest, room_id) == link

    refused = post(guest.client, f"/rooms/{room_id}/invite/renew")
    assert refused.status_code == 403
    assert invite_link(host, room_id) == link

    renewed = post(host.client, f"/rooms/{room_id}/invite/renew")
    assert renewed.status_code == 303
    new_link = invite_link(host, room_id)
    assert new_link != link
    visitor = app.test_client()
    assert visitor.get(path_of(link)).status_code == 404  # revoked
    assert visitor.get(path_of(new_link)).status_code == 200
    with app.app_context():
        rows = db.session.scalars(select(RoomInvite).where(RoomInvite.room_id == room_id)).all()
    assert sorted(r.revoked_at is None for r in rows) == [False, True]


def test_unknown_and_malformed_codes_are_404(client):
    for code in ("nope", "A" * 22, "a" * 200, "..%2f..", "<script>"):
        assert client.get(f"/r/{code}").status_code == 404, code
    # A control character is refused at the edge, before any lookup (app/request_input.py).
    assert client.get("/r/%00").status_code == 400


def test_codes_are_long_random_and_not_enumerable(app, show_people, client):
    people = show_people("mina")
    codes = []
    for n in range(5):
        room_id = people[0].create_room(title=f"Room {n}")
        codes.append(path_of(invite_link(people[0], room_id)).rsplit("/", 1)[1])
    assert len(set(codes)) == 5
    assert all(len(code) >= 22 for code in codes)  # 128 random bits each
    # A neighbour of a real code (one character changed) is just another unknown code.
    real = codes[0]
    near = real[:-1] + ("A" if real[-1] != "A" else "B")
    assert client.get(f"/r/{near}").status_code == 404
    # Guessing is throttled per address: the 61st try within a minute is refused.
    statuses = [client.get(f"/r/{'x' * 21}{n % 10}").status_code for n in range(61)]
    assert set(statuses[:59]) == {404}
    assert statuses[-1] == 429


def test_the_qr_code_is_svg_of_the_live_link(show_room, client):
    room_id, (host, _guest) = show_room("mina", "junho")
    response = host.client.get(f"/rooms/{room_id}/qr.svg")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    body = response.get_data(as_text=True)
    assert body.startswith("<svg") and "<path" in body
    page = host.client.get(f"/rooms/{room_id}/invite").get_data(as_text=True)
    assert f"/rooms/{room_id}/qr.svg" in page and invite_link(host, room_id) in page
    # Visitors use the link itself; the picture is for people already signed in.
    assert client.get(f"/rooms/{room_id}/qr.svg").status_code == 302
    assert host.client.get("/rooms/999/qr.svg").status_code == 404
