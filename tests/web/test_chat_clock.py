"""The chat clock (`time_short`) keeps one conversion per minute and zone; it must still
write the viewer's local time at every moment, across daylight-saving changes and in zones
whose offsets are not whole hours, whether the caller passes the zone or not.

The expected times come from the standard library's own zone data (`zoneinfo`), not from
the pytz zones the app converts with.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import pytz

from app.i18n import time_short

ZONES = [
    "Asia/Seoul",
    "America/New_York",
    "Europe/London",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Australia/Lord_Howe",
]
# Just before, at and after each change, to the second.
CHANGES = [
    datetime(2026, 3, 8, 7, 0, tzinfo=UTC),  # New York springs forward
    datetime(2026, 11, 1, 6, 0, tzinfo=UTC),  # New York falls back
    datetime(2026, 3, 29, 1, 0, tzinfo=UTC),  # London springs forward
    datetime(2026, 4, 4, 15, 0, tzinfo=UTC),  # Lord Howe goes back half an hour
    datetime(2026, 11, 30, 14, 59, tzinfo=UTC),  # midnight in Seoul
]
MOMENTS = [
    change + timedelta(seconds=offset)
    for change in CHANGES
    for offset in (-61, -60, -1, 0, 1, 59, 60, 1799, 1800, 3599, 3600)
]


def _local(moment: datetime, zone: str) -> str:
    return moment.astimezone(ZoneInfo(zone)).strftime("%H:%M")


@pytest.mark.parametrize("zone", ZONES)
def test_the_clock_writes_local_time_with_the_zone_given(zone):
    tz = pytz.timezone(zone)
    assert [time_short(m, tz) for m in MOMENTS] == [_local(m, zone) for m in MOMENTS]
    # Twice: the second round answers from what the first kept.
    assert [time_short(m, tz) for m in MOMENTS] == [_local(m, zone) for m in MOMENTS]


@pytest.mark.parametrize("zone", ["America/New_York", "Asia/Kathmandu"])
def test_the_clock_finds_the_viewers_zone_itself(app, zone):
    app.config["DEFAULT_USER_TIMEZONE"] = zone
    with app.test_request_context("/"):
        assert [time_short(m) for m in MOMENTS] == [_local(m, zone) for m in MOMENTS]
        # A naive time is read as UTC, as the database's naive columns are.
        naive = [m.replace(tzinfo=None) for m in MOMENTS]
        assert [time_short(m) for m in naive] == [_local(m, zone) for m in MOMENTS]
    assert time_short(None) == ""
