"""The profile page: identity, counts, score, rank, charts, recent performances; search."""

from __future__ import annotations

import re
from datetime import timedelta

from app.database import utcnow
from tests.support import factories
from tests.support.web import HTMX


def _shows(app, performer: str, averages: list[int], *, mode: str = "ranked") -> None:
    """Give `performer` one finished room per score, a day apart, ending today."""
    with app.app_context():
        from app.services.accounts import get_user_by_username

        performer_id = get_user_by_username(performer).id
        judge = get_user_by_username("judge") or None
        judge_id = judge.id if judge else factories.user("judge")
        for index, value in enumerate(averages):
            when = utcnow() - timedelta(days=len(averages) - 1 - index)
            room_id = factories.room(
                judge_id, status="finished", mode=mode, member_ids=(performer_id,), created_at=when
            )
            factories.finished_performance(room_id, performer_id, {judge_id: value}, closed_at=when)


def test_profile_shows_identity_counts_and_empty_charts(client, make_user):
    make_user("mina", "김민아")
    html = client.get("/users/MINA").get_data(as_text=True)
    assert "김민아" in html and "@mina" in html
    assert 'href="/users/mina/followers"' in html and 'href="/users/mina/following"' in html
    assert "No ranked scores yet" in html
    assert html.count('class="chart-bar') == 7  # every day of the week is drawn, even empty
    assert "No performances yet." in html
    assert "style=" not in html and "<script>" not in html


def test_profile_with_one_score(client, app, make_user):
    make_user("mina")
    _shows(app, "mina", [8])
    _refresh_leaderboard(app)
    html = client.get("/users/mina").get_data(as_text=True)
    assert html.count('class="chart-dot"') == 1
    assert 'class="chart-path"' not in html  # one point draws no line
    assert "<td>8.00</td>" in html
    assert "<dd>8.00</dd>" in html and "<dd>#1</dd>" in html


def _refresh_leaderboard(app) -> None:
    """Run the hourly refresh, whose snapshot the profile's rank reads."""
    from app.services import leaderboard

    with app.app_context():
        leaderboard.refresh()


def test_profile_with_many_scores_ranks_and_links_rooms(client, app, make_user):
    make_user("mina")
    make_user("junho")
    _shows(app, "mina", [6, 7, 8, 9, 10, 5, 7, 8, 9, 10, 6, 7])
    _shows(app, "junho", [10] * 12)
    _shows(app, "mina", [10], mode="casual")  # shown, never counted
    _refresh_leaderboard(app)
    html = client.get("/users/mina").get_data(as_text=True)
    assert html.count('class="chart-dot"') == 12
    path = re.search(r'class="chart-path" d="([^"]+)"', html).group(1)
    assert path.startswith("M") and path.count("L") == 11
    assert "<dd>92.00</dd>" in html  # the casual 10 is not in the cumulative score
    assert "<dd>#2</dd>" in html
    assert 'href="/rooms/' in html
    assert "Casual" in html
    assert re.search(r"<dt>Current streak</dt><dd>12 days</dd>", html)
    assert "<dd>100%</dd>" in html


def test_people_search_by_username_and_display_name(client, make_user):
    make_user("mina", "김민아")
    make_user("minjun", "오민준")
    make_user("junho", "박준호")
    make_user("under_score", "Percent 100%")
    html = client.get("/people?q=min").get_data(as_text=True)
    assert "@mina" in html and "@minjun" in html and "@junho" not in html
    html = client.get("/people?q=박준").get_data(as_text=True)
    assert "@junho" in html and "@mina" not in html
    # LIKE wildcards are taken literally: "%" and "_" match only names that contain them.
    percent = client.get("/people?q=%25").get_data(as_text=True)
    assert "@under_score" in percent and "@mina" not in percent
    underscore = client.get("/people?q=_").get_data(as_text=True)
    assert "@under_score" in underscore and "@mina" not in underscore
    empty = client.get("/people?q=zzz").get_data(as_text=True)
    assert "Nobody matches" in empty
    fragment = client.get("/people?q=MIN", headers=HTMX)
    assert fragment.get_data(as_text=True).startswith('<div id="search-results"')
    assert "HX-Request" in fragment.headers["Vary"]
    assert "Search by username" in client.get("/people").get_data(as_text=True)


def test_people_search_escapes_the_query(client, make_user):
    html = client.get("/people?q=<script>x</script>").get_data(as_text=True)
    assert "<script>x" not in html and "&lt;script&gt;x" in html


def test_nav_shows_people(client):
    assert 'href="/people"' in client.get("/").get_data(as_text=True)


def test_the_navigation_shows_my_picture_on_someone_elses_profile(client, app, auth, make_user):
    make_user("mina", "Mina")
    make_user("bora", "Bora")
    with app.app_context():
        from app.extensions import db
        from app.services.accounts import get_user_by_username

        get_user_by_username("bora").avatar_filename = "bora-face.webp"
        db.session.commit()
    auth.login("mina")
    html = client.get("/users/bora").get_data(as_text=True)
    nav = html.split('class="avatar-link"', 1)[1].split("</a>", 1)[0]
    assert "bora-face.webp" not in nav and ">M</span>" in nav
    assert html.count("bora-face.webp") == 1  # her picture heads her profile


def test_kept_charts_follow_each_new_score_and_the_viewers_language(client, app, make_user):
    """The charts are kept fragments: a new score redraws them, and each language has its own."""
    make_user("mina")
    _shows(app, "mina", [8])
    first = client.get("/users/mina").get_data(as_text=True)
    assert first.count('class="chart-dot"') == 1 and "chart-bar-today" in first
    with app.app_context():  # a score from before the week: only the line changes
        from app.services.accounts import get_user_by_username

        mina, judge = (get_user_by_username(name).id for name in ("mina", "judge"))
        earlier = utcnow() - timedelta(days=10)
        room_id = factories.room(judge, status="finished", member_ids=(mina,), created_at=earlier)
        factories.finished_performance(room_id, mina, {judge: 4}, closed_at=earlier)
    assert client.get("/users/mina").get_data(as_text=True).count('class="chart-dot"') == 2
    _shows(app, "mina", [6], mode="casual")  # one more today, casual: only the bars change
    second = client.get("/users/mina").get_data(as_text=True)
    assert second.count('class="chart-dot"') == 2
    assert _today_bar_count(second) == 2 and _today_bar_count(first) == 1
    korean = client.get("/users/mina", headers={"Accept-Language": "ko"}).get_data(as_text=True)
    assert "최근 7일" in korean and "Last 7 days" not in korean


def _today_bar_count(html: str) -> int:
    """The number over today's bar in the week chart."""
    bar = re.search(r'chart-bar-today".*?<text class="chart-value"[^>]*>(\d+)</text>', html, re.S)
    return int(bar.group(1))


def _recent_list(html: str) -> str:
    return re.search(
        r'<section class="card" aria-labelledby="recent-title">.*?</section>', html, re.S
    ).group(0)


def test_kept_recent_shows_follow_a_new_show_and_a_new_room_title(client, app, make_user):
    """The recent list is one kept fragment keyed by its rows: each change draws it anew."""
    make_user("mina")
    _shows(app, "mina", [8])
    first = _recent_list(client.get("/users/mina").get_data(as_text=True))
    assert first.count("<li") == 1 and "Friday karaoke" in first and "8.00" in first
    assert "Ranked" in first
    with app.app_context():
        from sqlalchemy import update

        from app.extensions import db
        from app.models import Room

        db.session.execute(update(Room).values(title="월요일 <노래방>"))
        db.session.commit()
    renamed = _recent_list(client.get("/users/mina").get_data(as_text=True))
    assert "월요일 &lt;노래방&gt;" in renamed and "Friday karaoke" not in renamed
    _shows(app, "mina", [6], mode="casual")
    more = _recent_list(client.get("/users/mina").get_data(as_text=True))
    assert more.count("<li") == 2 and "Casual" in more and "6.00" in more
    korean = _recent_list(
        client.get("/users/mina", headers={"Accept-Language": "ko"}).get_data(as_text=True)
    )
    assert "캐주얼" in korean and "랭킹" in korean and "Casual" not in korean
