"""Geometry for the profile charts; the SVG itself is a template (profiles/_chart_*.html).

No chart library: their SVG carries inline styles and scripts that our CSP refuses. These
functions only turn numbers into coordinates inside a fixed viewBox.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from app.i18n import format_day
from app.services.stats import DayCount, ScorePoint

WIDTH = 320
HEIGHT = 180
PAD_LEFT = 28
PAD_RIGHT = 12
PAD_TOP = 14
PAD_BOTTOM = 28
SCORE_MAX = 10


@dataclass(frozen=True)
class Dot:
    """One plotted value with its label."""

    x: float
    y: float
    value: Decimal
    label: str
    room_id: int | None = None


@dataclass(frozen=True)
class Bar:
    """One day's bar."""

    x: float
    y: float
    width: float
    height: float
    count: int
    label: str
    day: date
    is_today: bool


@dataclass(frozen=True)
class LineChart:
    """A line of scores over time inside the viewBox."""

    width: int
    height: int
    dots: list[Dot]
    path: str
    gridlines: list[tuple[float, int]]
    left: int
    right: int
    bottom: int


@dataclass(frozen=True)
class BarChart:
    """Seven days of activity inside the viewBox."""

    width: int
    height: int
    bars: list[Bar]
    max_count: int
    bottom: int


def _y_for_score(value: float) -> float:
    """Return the y coordinate of a 0–10 score."""
    plot = HEIGHT - PAD_TOP - PAD_BOTTOM
    return round(PAD_TOP + plot * (1 - value / SCORE_MAX), 2)


def _short_date(moment: datetime | date) -> str:
    """Return a compact local date like 'Nov 3'."""
    return format_day(moment, "MMM d")


def score_line(points: Sequence[ScorePoint]) -> LineChart:
    """Lay out ranked averages left to right, evenly spaced, on a 0–10 scale."""
    plot_width = WIDTH - PAD_LEFT - PAD_RIGHT
    dots = []
    for index, point in enumerate(points):
        if len(points) == 1:
            x = PAD_LEFT + plot_width / 2
        else:
            x = PAD_LEFT + plot_width * index / (len(points) - 1)
        dots.append(
            Dot(
                x=round(x, 2),
                y=_y_for_score(float(point.average)),
                value=point.average,
                label=_short_date(point.at),
                room_id=point.room_id,
            )
        )
    path = " ".join(f"{'M' if i == 0 else 'L'}{d.x},{d.y}" for i, d in enumerate(dots))
    gridlines = [(_y_for_score(v), v) for v in (0, 5, 10)]
    return LineChart(
        WIDTH, HEIGHT, dots, path, gridlines, PAD_LEFT, WIDTH - PAD_RIGHT, HEIGHT - PAD_BOTTOM
    )


def week_bars(days: Sequence[DayCount], today: date) -> BarChart:
    """Lay out one bar per day; empty days keep their slot with a zero-height bar."""
    plot_width = WIDTH - PAD_LEFT - PAD_RIGHT
    plot_height = HEIGHT - PAD_TOP - PAD_BOTTOM
    slot = plot_width / max(1, len(days))
    max_count = max([d.count for d in days] + [1])
    bars = []
    for index, day in enumerate(days):
        height = round(plot_height * day.count / max_count, 2)
        bars.append(
            Bar(
                x=round(PAD_LEFT + slot * index + slot * 0.15, 2),
                y=round(HEIGHT - PAD_BOTTOM - height, 2),
                width=round(slot * 0.7, 2),
                height=height,
                count=day.count,
                label=format_day(day.day, "EEE"),
                day=day.day,
                is_today=day.day == today,
            )
        )
    return BarChart(WIDTH, HEIGHT, bars, max_count, HEIGHT - PAD_BOTTOM)
