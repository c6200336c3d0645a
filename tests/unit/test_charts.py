"""Chart geometry and markup with zero, one and many points; CSP-safe SVG."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from flask import render_template

from app.blueprints.profiles.charts import HEIGHT, PAD_BOTTOM, PAD_TOP, score_line, week_bars
from app.services.stats import DayCount, ScorePoint


def points(values: list[str]) -> list[ScorePoint]:
    start = datetime(2026, 3, 1, 12, tzinfo=UTC)
    return [
        ScorePoint(start + timedelta(days=i), Decimal(v), room_id=i + 1)
        for i, v in enumerate(values)
    ]


def render(app, chart, template):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        return render_template(template, chart=chart)


def test_zero_points(app):
    with app.test_request_context():
        chart = score_line([])
    assert chart.dots == [] and chart.path == ""
    html = render(app, chart, "profiles/_chart_line.html")
    assert "No ranked scores yet" in html and "<circle" not in html and "<path" not in html


def test_one_point_is_centred_without_a_line(app):
    with app.test_request_context():
        chart = score_line(points(["7.50"]))
    (dot,) = chart.dots
    assert dot.x == (chart.left + chart.right) / 2
    html = render(app, chart, "profiles/_chart_line.html")
    assert html.count("<circle") == 1 and "<path" not in html
    assert "<td>7.50</td>" in html


def test_many_points_span_the_plot_on_a_zero_to_ten_scale(app):
    with app.test_request_context():
        chart = score_line(points(["1.00", "10.00", "5.50"] + ["6.00"] * 27))
    assert chart.dots[0].x == chart.left and chart.dots[-1].x == chart.right
    assert chart.dots[1].y == PAD_TOP  # a perfect 10 touches the top
    assert chart.dots[0].y < HEIGHT - PAD_BOTTOM
    html = render(app, chart, "profiles/_chart_line.html")
    assert html.count("<circle") == 30 and html.count("<tr><td>") == 30
    assert chart.path.count("L") == 29


def test_week_bars_keep_empty_days_and_scale_to_the_busiest(app):
    today = date(2026, 3, 7)
    days = [DayCount(today - timedelta(days=6 - i), c) for i, c in enumerate([0, 2, 0, 0, 4, 0, 1])]
    with app.test_request_context():
        chart = week_bars(days, today)
    assert len(chart.bars) == 7
    assert [b.height > 0 for b in chart.bars] == [False, True, False, False, True, False, True]
    assert chart.bars[4].y == PAD_TOP and chart.bars[-1].is_today
    html = render(app, chart, "profiles/_chart_bars.html")
    assert html.count("<rect") == 7 and html.count("chart-bar-today") == 1


def test_chart_markup_has_no_inline_style_or_script(app):
    with app.test_request_context():
        line = render(app, score_line(points(["5.00", "6.00"])), "profiles/_chart_line.html")
        bars = render(
            app,
            week_bars([DayCount(date(2026, 3, 1), 1)], date(2026, 3, 1)),
            "profiles/_chart_bars.html",
        )
    for html in (line, bars):
        assert not re.search(r"\sstyle=|<script|\son\w+=", html)
