"""The database away: every request gets a clear 503 (or 429), never 500, and all resumes.

The test owns its PostgreSQL (initdb in a temporary folder, never the shared server): it
stops it the way a crash would, makes page, fragment, form and health requests while it is
away, starts it again and watches the same app and the same logged-in session carry on
without a restart. PostgreSQL only; the embedded SQLite file cannot go away.
"""

from __future__ import annotations

import pytest
from flask_migrate import upgrade

from tests.conftest import make_app
from tests.realtime.chat_live import wait_for
from tests.support import factories
from tests.support.private_postgres import PrivatePostgres
from tests.support.web import AuthActions, csrf_token

pytestmark = pytest.mark.postgres

NOTICE = 'data-degraded="database"'
PAGES = ("/", "/rooms/", "/users/mina", "/leaderboard", "/chats/", "/auth/login")


@pytest.fixture
def private_postgres(database):
    """A PostgreSQL server this test alone stops and starts."""
    if not database.is_postgres:
        pytest.skip("needs PostgreSQL: run with TEST_DATABASE_URL=postgresql://…")
    server = PrivatePostgres().start()
    yield server
    server.remove()


def test_requests_during_a_database_outage_get_503_and_everything_resumes(private_postgres):
    app = make_app(SQLALCHEMY_DATABASE_URI=private_postgres.create_database("encore"))
    with app.app_context():
        upgrade()
        factories.user("mina", "김민아")
        factories.user("junho")
    mina = app.test_client()
    assert AuthActions(mina).login("mina").status_code == 303
    token = csrf_token(mina)
    assert NOTICE not in mina.get("/").text

    private_postgres.stop()
    # The first request that needs the database meets the outage and raises the flag.
    assert mina.get("/rooms/").status_code == 503
    anonymous = app.test_client()
    # Pages that need no stored data (the landing page, the login form) still render,
    # and say what is wrong.
    login_token = csrf_token(anonymous, "/auth/login")
    for page in PAGES:
        anonymous_page = anonymous.get(page)
        assert anonymous_page.status_code in (200, 302, 303, 404, 503), page
        if anonymous_page.status_code in (200, 503):
            assert NOTICE in anonymous_page.text, page
    # Everything that needs the database answers 503 with Retry-After and says why.
    answers = [(page, mina.get(page)) for page in PAGES]
    answers.append(("htmx", mina.get("/rooms/", headers={"HX-Request": "true"})))
    answers.append(("follow", mina.post("/users/junho/follow", data={"csrf_token": token})))
    login = {"username": "mina", "password": "correct horse", "csrf_token": login_token}
    answers.append(("login", anonymous.post("/auth/login", data=login)))
    for label, response in answers:
        assert response.status_code == 503, (label, response.status_code)
        assert int(response.headers["Retry-After"]) > 0
        assert "We can&#39;t reach our saved data right now" in response.text
        if label != "htmx":
            assert NOTICE in response.text, label
    # htmx shows the message as a toast instead of replacing what the request targeted.
    assert answers[len(PAGES)][1].headers.get("HX-Retarget") == "#toasts"
    korean = anonymous.get("/rooms/", headers={"Accept-Language": "ko"})
    assert korean.status_code == 503
    assert "저장된 정보를 불러올 수 없어요" in korean.text
    assert "저장하고 불러오는 기능이 멈췄어요" in korean.text
    health = anonymous.get("/healthz")
    assert health.status_code == 503
    assert health.get_json()["db"] == "error"
    # A logged-in browser (a session cookie, so hooks could try to load the user) gets the
    # same JSON, not the 503 page: a monitor open in a signed-in tab must read it too.
    assert mina.get_cookie("session") is not None
    for client in (mina, anonymous):
        health = client.get("/healthz")
        assert health.status_code == 503
        assert health.mimetype == "application/json"
        assert health.get_json()["status"] == "error"
        assert health.get_json()["db"] == "error"

    # The database comes back: the same app and session carry on, and the notice goes.
    private_postgres.start()
    assert wait_for(lambda: mina.get("/").status_code == 200, 30.0)
    assert wait_for(lambda: NOTICE not in mina.get("/").text, 30.0)
    home = mina.get("/").text
    assert "김민아" in home  # still logged in
    followed = mina.post("/users/junho/follow", data={"csrf_token": csrf_token(mina)})
    assert followed.status_code == 303
    assert anonymous.get("/healthz").get_json()["db"] == "ok"
    assert mina.get("/healthz").get_json()["db"] == "ok"
