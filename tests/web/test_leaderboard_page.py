"""The /leaderboard page: boards, your rank, freshness, filters, and reading only the cache."""

from __future__ import annotations

import re
from contextlib import contextmanager
from urllib.parse import quote

import pytest
from sqlalchemy import event

from app.extensions import db
from app.models import User
from app.services import leaderboard
from tests.conftest import _wipe_redis, _wipe_tables, make_app
from tests.support import factories
from tests.support.services import free_port
from tests.support.web import HTMX, AuthActions


def _people(count: int) -> dict[str, int]:
    """Insert `count` performers at once (no password: they never log in here)."""
    people = [
        User(username=f"performer{i}", username_key=f"performer{i}", display_name=f"공연자 {i}")
        for i in range(count)
    ]
    db.session.add_all(people)
    db.session.commit()
    return {person.username: person.id for person in people}


def _seed(count: int = 6) -> dict[str, int]:
    """A judge and `count` performers with distinct scores; performer0 scores highest."""
    judge = factories.user("judge")
    ids = _people(count)
    room = factories.room(judge, capacity=50, member_ids=tuple(ids.values()))
    for i, uid in enumerate(ids.values()):
        factories.finished_performance(room, uid, {judge: max(1, 10 - i)})
    return ids


@contextmanager
def _app(*, wipe_redis: bool = True, **overrides):
    """An app with `overrides`, wiped afterwards like the `app` fixture."""
    application = make_app(**overrides)
    try:
        yield application
    finally:
        with application.app_context():
            _wipe_tables()
        if wipe_redis:
            _wipe_redis(application)


def _ranks(html: str) -> list[str]:
    return re.findall(r'<span class="lb-rank">(\d+)</span>', html)


def test_page_shows_ranks_and_when_they_were_updated(app, client):
    with app.app_context():
        _seed(4)
        leaderboard.refresh()
    response = client.get("/leaderboard")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert _ranks(html) == ["1", "2", "3", "4"]
    assert "공연자 0" in html and "10.00" in html
    assert "Updated" in html and "<time datetime=" in html
    assert 'data-subscribe="leaderboard"' in html
    assert 'data-listen="leaderboard:refreshed"' in html
    assert 'href="/leaderboard?period=week"' in html


def test_htmx_gets_the_board_fragment(app, client):
    with app.app_context():
        _seed(2)
        leaderboard.refresh()
    response = client.get("/leaderboard?period=all&category=karaoke", headers=HTMX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="board"')
    assert "<html" not in html
    assert "HX-Request" in response.headers["Vary"]


def test_your_rank_is_pinned(app, client):
    auth = AuthActions(client)
    assert auth.signup("mina", "김민아").status_code == 303
    with app.app_context():
        ids = _seed(3)
        mina = db.session.scalar(db.select(User).where(User.username == "mina")).id
        room = factories.room(ids["performer0"], member_ids=(mina,))
        factories.finished_performance(room, mina, {ids["performer0"]: 2})
        leaderboard.refresh()
    html = client.get("/leaderboard").get_data(as_text=True)
    pinned = html.split('class="lb-you card"', 1)[1].split("</div>", 1)[0]
    assert "#4" in pinned and "2.00" in pinned
    assert "lb-mine" in html
    other = client.get("/leaderboard?category=dance").get_data(as_text=True)
    assert "You are not on this board yet" in other


def test_rows_are_rendered_once_per_snapshot_and_language_but_yours_are_marked(app):
    """The ranked list is kept for everyone who sees the same page of the same snapshot:
    a rename shows after the next refresh, the Korean page stays Korean, and a performer
    on the page still finds their own row marked."""
    ko = {"Accept-Language": "ko-KR,ko;q=0.9"}
    with app.app_context():
        ids = _seed(3)
        leaderboard.refresh()
    visitor = app.test_client()
    assert "공연자 0" in visitor.get("/leaderboard").get_data(as_text=True)
    with app.app_context():
        db.session.get(User, ids["performer0"]).display_name = "새 이름"
        db.session.commit()
    # The same snapshot: the rows the first visitor rendered, in English, and unmarked.
    again = app.test_client().get("/leaderboard").get_data(as_text=True)
    assert "공연자 0" in again and "새 이름" not in again
    assert "lb-mine" not in again
    korean = app.test_client().get("/leaderboard", headers=ko).get_data(as_text=True)
    assert '<html lang="ko"' in korean and "새 이름" in korean  # its own, fresh rendering
    # performer0 signs in: their row is on the page, so their list is rendered for them.
    with app.app_context():
        db.session.get(User, ids["performer0"]).set_password("performer-password")
        db.session.commit()
    performer = app.test_client()
    assert AuthActions(performer).login("performer0", "performer-password").status_code == 303
    theirs = performer.get("/leaderboard").get_data(as_text=True)
    assert "lb-mine" in theirs and "새 이름" in theirs
    # A refresh makes a new snapshot, and everyone sees the new name at once.
    with app.app_context():
        leaderboard.refresh()
    fresh = visitor.get("/leaderboard").get_data(as_text=True)
    assert "새 이름" in fresh and "공연자 0" not in fresh


def test_pages_and_categories(client, app):
    app.config["LEADERBOARD_PAGE_SIZE"] = 2
    with app.app_context():
        _seed(5)
        leaderboard.refresh()
    first = client.get("/leaderboard").get_data(as_text=True)
    assert _ranks(first) == ["1", "2"] and "page=2" in first and "Page 1 of 3" in first
    last = client.get("/leaderboard?page=3").get_data(as_text=True)
    assert _ranks(last) == ["5"] and 'rel="next"' not in last
    beyond = client.get("/leaderboard?page=9")
    assert beyond.status_code == 200 and "nobody this far down" in beyond.get_data(as_text=True)
    assert _ranks(client.get("/leaderboard?category=dance").get_data(as_text=True)) == []


@pytest.mark.parametrize(
    "query",
    ["period=month", "category=opera", "page=0", "page=abc", "page=-2", "page=99999999"],
)
def test_bad_values_answer_400(client, query):
    response = client.get(f"/leaderboard?{query}")
    assert response.status_code == 400
    assert "lb-list" not in response.get_data(as_text=True)


@contextmanager
def _statements(engine):
    """Record every SQL statement the engine runs inside the block."""
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _aggregates(statements: list[str]) -> list[str]:
    """Return the statements that aggregate over performances."""
    pattern = re.compile(r"\b(sum|count|avg|rank)\s*\(|group by", re.IGNORECASE)
    return [s for s in statements if "performances" in s.lower() and pattern.search(s)]


def _user_lookups(statements: list[str]) -> list[str]:
    """Return the statements that look up a page of the board's people."""
    return [s for s in statements if "from users" in s.lower() and " in (" in s.lower()]


@pytest.mark.parametrize("mode", ["embedded", "redis"])
def test_a_page_view_reads_only_the_cache(mode, request):
    overrides = {"REDIS_URL": None}
    if mode == "redis":
        overrides["REDIS_URL"] = request.getfixturevalue("redis_url")
    with _app(**overrides) as app:
        client = app.test_client()
        AuthActions(client).signup("viewer", "Viewer")
        with app.app_context():
            _seed(30)
            assert leaderboard.refresh().refreshed
            engine = db.engine
        with _statements(engine) as seen:
            for url in ("/leaderboard", "/leaderboard?period=week&category=karaoke&page=1"):
                response = client.get(url)
                assert response.status_code == 200
                assert _ranks(response.get_data(as_text=True))
        assert not _aggregates(seen), seen
        assert len(_user_lookups(seen)) == 2, seen
        # The next viewer of the same pages gets the rendered lists from the store, and
        # the board's people are not looked up again.
        with _statements(engine) as again:
            for url in ("/leaderboard", "/leaderboard?period=week&category=karaoke&page=1"):
                response = app.test_client().get(url)
                assert "performer0" in response.get_data(as_text=True)
        assert _user_lookups(again) == [], again
        # The check itself is sound: the refresh does aggregate.
        with app.app_context(), _statements(engine) as refresh_seen:
            leaderboard.refresh()
        assert _aggregates(refresh_seen)


def test_unreachable_redis_degrades_to_a_bounded_query_with_a_notice():
    dead = f"redis://127.0.0.1:{free_port()}/0"
    settings = {"RATELIMIT_STORAGE_URI": "memory://", "LEADERBOARD_PAGE_SIZE": 3}
    with _app(REDIS_URL=dead, wipe_redis=False, **settings) as app:
        with app.app_context():
            _seed(5)
        client = app.test_client()
        for url in ("/leaderboard", "/leaderboard?page=2", "/leaderboard?period=week"):
            response = client.get(url)
            html = response.get_data(as_text=True)
            assert response.status_code == 200, html[:500]
            assert "Live rankings are unavailable right now" in html
        first = client.get("/leaderboard").get_data(as_text=True)
        assert _ranks(first) == ["1", "2", "3"] and "page=2" in first
        assert _ranks(client.get("/leaderboard?page=2").get_data(as_text=True)) == ["4", "5"]
        fragment = client.get("/leaderboard", headers=HTMX)
        assert fragment.status_code == 200
        with app.test_request_context():
            assert leaderboard.rank_of(1) is None
            assert leaderboard.updated_at() is None


def test_an_empty_cache_is_prepared_from_the_database(redis_url):
    with _app(REDIS_URL=redis_url) as app:
        with app.app_context():
            _seed(2)
        client = app.test_client()
        for _view in range(3):
            html = client.get("/leaderboard").get_data(as_text=True)
            assert "Rankings are being prepared" in html
            assert _ranks(html) == ["1", "2"]
        # The views queued exactly one refresh for a worker.
        queue = app.config["REDIS_KEY_PREFIX"] + "celery"
        assert app.extensions["encore_redis"].llen(queue) == 1


def test_the_live_notice_offers_newer_rankings(app, client):
    with app.app_context():
        _seed(2)
        first = leaderboard.refresh()
    url = "/leaderboard/notice?period=all&page=1&since=" + quote(first.at.isoformat())
    current = client.get(url, headers=HTMX)
    assert current.status_code == 200 and "New rankings" not in current.get_data(as_text=True)
    with app.app_context():
        leaderboard.refresh()
    newer = client.get(url, headers=HTMX).get_data(as_text=True)
    assert "New rankings are in." in newer
    assert 'hx-get="/leaderboard?period=all"' in newer and 'hx-target="#board"' in newer
    assert client.get("/leaderboard/notice?period=year").status_code == 400
