"""Every page and fragment in docs/urls.md, in Korean and in English, speaks one language.

A Korean page shows none of the English source text, an English page no Korean, and
`<html lang>` says which one was served. The pages are filled with a real show (lobby, on
air, scoring, results), conversations and follows, seen by members and by a visitor.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.support.i18n import english_leaks, html_lang, korean_leaks, visible_text
from tests.support.web import post
from tests.web.chat_helpers import start_group
from tests.web.posts_support import comment_rows, publish_ok
from tests.web.test_invites import invite_link, path_of

DOCS = Path(__file__).resolve().parents[2] / "docs" / "urls.md"
ROW = re.compile(r"^\| ([A-Z,]+) \| `([^`]+)` \| `([^`]+)` \|", re.M)
KO = {"Accept-Language": "ko-KR,ko;q=0.9,en;q=0.5"}
EN = {"Accept-Language": "en-US,en;q=0.9"}
HTMX = {"HX-Request": "true"}
# What the HTML checker accepts and every <time> here writes: UTC, whole seconds; or a
# duration in whole seconds (the show's countdowns).
ISO = re.compile(r"^(\d{4}-\d\d-\d\d(T\d\d:\d\d:\d\dZ)?|PT\d+S)$")

# GET routes that answer with no words to translate (JSON, images) or only redirect.
NOT_PAGES = {
    "main.healthz": "JSON for load balancers",
    "profiles.avatar": "an image",
    "auth.oauth_login": "a redirect to the provider",
    "auth.oauth_callback": "a redirect back from the provider",
    "auth.oauth_choose_username": "needs a provider sign-in; tests/web/test_oauth.py renders it",
    "posts.media": "an image",
    "rooms.video": "JSON for the camera script",
}


def documented_pages() -> set[str]:
    """Return the endpoints docs/urls.md lists with GET."""
    return {
        endpoint for methods, _path, endpoint in ROW.findall(DOCS.read_text()) if "GET" in methods
    }


@pytest.fixture
def world(app, show_people):
    """Three people mid-show, with follows and conversations; returns who and where."""
    from app.extensions import db
    from app.models import User

    mina, junho, seoyeon = show_people("mina", "junho", "seoyeon")
    with app.app_context():
        for person, name in ((mina, "Mina"), (junho, "Junho"), (seoyeon, "Seoyeon")):
            db.session.get(User, person.id).display_name = name
        db.session.commit()
    room_id = mina.create_room(title="Friday karaoke", description="Bring a ballad")
    for person in (junho, seoyeon):
        assert person.act(room_id, "join").status_code == 303
    assert post(junho.client, "/users/mina/follow").status_code == 303
    assert post(mina.client, "/users/junho/follow").status_code == 303
    group = start_group(mina.client, "Band", "junho, seoyeon")
    assert post(
        mina.client, f"/chats/{group}/messages", {"body": "hello", "client_id": "a" * 16}
    ).status_code in (200, 303)
    assert post(
        mina.client, f"/rooms/{room_id}/messages", {"body": "hi", "client_id": "b" * 16}
    ).status_code in (200, 303)
    post_id = publish_ok(mina.client, "Friday night #karaoke")
    assert post(junho.client, f"/posts/{post_id}/comments", {"body": "so good"}).status_code in (
        200,
        303,
    )
    assert post(junho.client, f"/posts/{post_id}/like").status_code in (200, 303)
    with app.app_context():
        from app.models import Notification

        notification = db.session.query(Notification).filter_by(recipient_id=mina.id).first()
        notification_id = notification.id
        from app.services import modlog

        modlog.set_moderator("mina")  # so the moderator pages show their queue and log
    report = {"target_type": "user", "target_id": str(junho.id), "reason": "spam"}
    assert post(seoyeon.client, "/reports", report).status_code == 303
    return {
        "people": (mina, junho, seoyeon),
        "room": room_id,
        "group": group,
        "post": post_id,
        "comment": comment_rows(app, post_id)[0].id,
        "invite": path_of(invite_link(mina, room_id)),
        "notification": notification_id,
    }


def pages(world) -> list[str]:
    """Return the GET paths to read, one or more per documented page."""
    room, group, post_id = world["room"], world["group"], world["post"]
    return [
        "/",
        "/auth/login",
        "/auth/signup",
        "/chats/",
        f"/chats/{group}",
        f"/chats/{group}/messages",
        "/chats/badge",
        "/chats/new",
        "/leaderboard",
        "/leaderboard/notice?period=all&page=1",
        "/people?q=j",
        "/people?q=nobody",
        "/rooms/",
        f"/rooms/{room}",
        f"/rooms/{room}/messages",
        f"/rooms/{room}/stage",
        f"/rooms/{room}/frames/stage",
        f"/rooms/{room}/frames/chat",
        "/rooms/new",
        "/settings/profile",
        "/users/mina",
        "/users/mina/bio",
        "/users/mina/bio/edit",
        "/users/mina/followers",
        "/users/mina/following",
        "/users/nobody-here",
        "/rooms/999999",
        "/posts/",
        "/posts/?q=karaoke",
        f"/posts/{post_id}",
        f"/posts/{post_id}/edit",
        f"/posts/{post_id}/comments",
        f"/posts/{post_id}/likes",
        f"/comments/{world['comment']}/edit",
        "/posts/new",
        "/feed",
        "/tags/karaoke",
        "/users/mina/posts",
        "/users/junho/liked",
        world["invite"],
        f"/rooms/{room}/invite",
        f"/rooms/{room}/qr.svg",
        "/notifications",
        "/notifications/badge",
        f"/notifications/{world['notification']}/toast",
        f"/reports/new?target_type=user&target_id={world['people'][1].id}",
        "/mod/",
        "/mod/log",
    ]


def read_everything(app, client, paths: list[str], seen: set[str]) -> list[tuple[str, str]]:
    """GET every path as a page and as an htmx fragment in both languages; return failures."""
    failures = []
    adapter = app.url_map.bind("localhost")
    for path in paths:
        try:
            seen.add(adapter.match(path.split("?")[0], method="GET")[0])
        except Exception:  # an unknown path is read for its 404 page
            seen.add("404")
        for lang, headers in (("ko", KO), ("en", EN)):
            for extra in ({}, HTMX):
                response = client.get(path, headers={**headers, **extra})
                if response.status_code in (301, 302, 303) or "html" not in response.mimetype:
                    continue
                html = response.get_data(as_text=True)
                where = f"{path} ({lang}{', htmx' if extra else ''})"
                declared = html_lang(html)
                if declared is not None and declared != lang:
                    failures.append((where, f'<html lang="{declared}">'))
                if "Accept-Language" not in response.vary:
                    failures.append((where, "no Vary: Accept-Language"))
                for value in re.findall(r'<time[^>]*\sdatetime="([^"]*)"', html):
                    seen.add("<time>")
                    if not ISO.match(value):
                        failures.append((where, f"<time datetime={value!r}>"))
                texts = visible_text(html, lang)
                leaks = english_leaks(texts) if lang == "ko" else korean_leaks(texts)
                failures.extend((where, leak) for leak in leaks)
    return failures


def test_every_page_speaks_one_language_through_a_whole_show(app, client, world):
    mina, junho, seoyeon = world["people"]
    room = world["room"]
    seen: set[str] = set()
    failures = read_everything(app, mina.client, pages(world), seen)  # lobby
    failures += read_everything(app, client, pages(world), seen)  # a visitor
    stage = [f"/rooms/{room}", f"/rooms/{room}/stage"]
    steps = [
        (mina, "start", {}),  # Mina on air
        (junho, "react", {"kind": "clap"}),
        (mina, "nominate", {"user_id": junho.id}),
        (mina, "end-turn", {}),  # scoring
        (junho, "score", {"value": "8"}),
        (seoyeon, "score", {"value": "9"}),  # closed; Junho on air
        (junho, "end-turn", {}),
        (mina, "finish", {}),  # results and podium
    ]
    for person, action, data in steps:
        # Everyone keeps the room open, so nobody counts as absent however slow the reads.
        for member in world["people"]:
            member.client.get(f"/rooms/{room}/stage", headers={"HX-Request": "true"})
        assert person.act(room, action, data).status_code == 303, action
        for viewer in (mina, junho):
            failures += read_everything(app, viewer.client, stage, seen)
    failures += read_everything(app, junho.client, ["/", "/users/mina", "/leaderboard"], seen)

    assert not failures, "\n".join(f"{where}: {what!r}" for where, what in sorted(set(failures)))
    assert "<time>" in seen, "no page showed a <time>; the date check read nothing"
    missing = documented_pages() - seen - set(NOT_PAGES)
    assert not missing, f"pages in docs/urls.md this test does not read yet: {sorted(missing)}"
