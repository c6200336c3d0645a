"""Who may use each moderator and block route: moderator, member, stranger, logged out, no CSRF."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Ban, Block, ModAction, Report, ReportStatus
from app.services import modlog, sanctions
from tests.support.web import HTMX, AuthActions, post


@pytest.fixture
def cast(app, make_user):
    """A moderator, a member who reported someone, and the reported person."""
    ids = {name: make_user(name) for name in ("moderator", "member", "target")}
    with app.app_context():
        modlog.set_moderator("moderator")
        db.session.add(
            Report(
                reporter_id=ids["member"],
                target_type="user",
                target_id=ids["target"],
                reason="spam",
            )
        )
        db.session.commit()
        sanctions.do_ban(ids["moderator"], ids["target"], "spam", 1)
    return ids


def _browser(app, who: str | None):
    """A browser logged in as `who` (None: logged out)."""
    client = app.test_client()
    if who:
        assert AuthActions(client).login(who).status_code == 303
    return client


MOD_GETS = ["/mod/", "/mod/log"]


def _mod_posts(ids: dict[str, int]) -> list[tuple[str, dict]]:
    return [
        ("/mod/resolve", {"target_type": "user", "target_id": ids["target"], "action": "dismiss"}),
        ("/mod/panic", {"on": "1"}),
        ("/mod/users/target/unban", {}),
    ]


def _changes(app) -> tuple:
    """What the moderator routes change, to prove a refusal wrote nothing."""
    with app.app_context():
        return (
            db.session.scalar(select(func.count(ModAction.id))),
            db.session.scalar(select(func.count()).where(Report.status == ReportStatus.OPEN)),
            db.session.scalar(select(func.count()).where(Ban.lifted_at.is_(None))),
        )


@pytest.mark.parametrize("path", MOD_GETS)
@pytest.mark.parametrize("who, status", [("moderator", 200), ("member", 404), ("target", 302)])
def test_moderator_pages(app, cast, path, who, status):
    # "target" is banned: their login is refused, so they browse logged out.
    client = _browser(app, who if who != "target" else None)
    response = client.get(path)
    assert response.status_code == status
    if status == 302:
        assert response.headers["Location"].startswith("/auth/login")


@pytest.mark.parametrize("index", range(3))
def test_moderator_actions_matrix(app, cast, index):
    path, data = _mod_posts(cast)[index]
    before = _changes(app)
    member = _browser(app, "member")
    assert post(member, path, data).status_code == 404
    assert post(member, path, data, htmx=True).status_code == 404
    anonymous = _browser(app, None)
    response = post(anonymous, path, data)
    assert response.status_code == 302 and response.headers["Location"].startswith("/auth/login")
    moderator = _browser(app, "moderator")
    assert moderator.post(path, data=data).status_code == 400  # no CSRF token
    assert _changes(app) == before
    assert post(moderator, path, data).status_code == 303
    assert _changes(app) != before


def test_block_routes_matrix(app, make_user):
    make_user("mina")
    make_user("junho")
    with app.app_context():
        count = lambda: db.session.scalar(select(func.count()).select_from(Block))  # noqa: E731

    anonymous = _browser(app, None)
    response = post(anonymous, "/users/junho/block")
    assert response.status_code == 302
    mina = _browser(app, "mina")
    assert mina.post("/users/junho/block").status_code == 400  # no CSRF token
    assert post(mina, "/users/mina/block").status_code == 400  # no self-block
    assert post(mina, "/users/nobody/block").status_code == 404
    with app.app_context():
        assert count() == 0
    response = post(mina, "/users/junho/block")
    assert response.status_code == 303 and response.headers["Location"] == "/users/junho"
    assert post(mina, "/users/junho/block").status_code == 303  # again is fine
    with app.app_context():
        assert count() == 1
    fragment = post(mina, "/users/junho/unblock", htmx=True)
    assert fragment.status_code == 200 and "Block" in fragment.get_data(as_text=True)
    with app.app_context():
        assert count() == 0
    assert post(mina, "/users/mina/unblock").status_code == 400


def test_report_route_needs_login_and_csrf(app, make_user):
    target = make_user("junho")
    data = {"target_type": "user", "target_id": target, "reason": "spam"}
    assert post(_browser(app, None), "/reports", data).status_code == 302
    make_user("mina")
    mina = _browser(app, "mina")
    assert mina.post("/reports", data=data).status_code == 400
    assert mina.post("/reports", data=data, headers=HTMX).status_code == 400
    response = post(mina, "/reports", data, htmx=True)
    assert response.status_code == 200 and "moderator will look" in response.get_data(as_text=True)
