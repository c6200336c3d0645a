"""Score parsing and averages: only 1–10 integers, averages half-up to 2 decimals."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.services.scoring import average_of
from app.services.show import InvalidScore, parse_score


@pytest.mark.parametrize(("raw", "value"), [("1", 1), ("10", 10), (" 7 ", 7), (5, 5)])
def test_plain_integers_from_1_to_10_are_scores(raw, value):
    assert parse_score(raw) == value


@pytest.mark.parametrize(
    "raw",
    [
        "0",
        "11",
        "5.5",
        "true",
        "1e309",
        "",
        " ",
        "-1",
        "+5",
        "05",
        "10.0",
        "٣",
        "５",
        "nan",
        "inf",
        None,
        True,
        0,
        11,
        5.0,
        [],
    ],
)
def test_everything_else_is_refused(raw):
    with pytest.raises(InvalidScore):
        parse_score(raw)


@pytest.mark.parametrize(
    ("values", "average"),
    [
        ([7, 8, 8], Decimal("7.67")),
        ([10, 9], Decimal("9.50")),
        ([1, 2, 2], Decimal("1.67")),
        ([1, 1, 2], Decimal("1.33")),
        # Second edition: 10 scores drop one 1 and the 10, leaving 9 / 8 = 1.125 exactly,
        # where banker's rounding would give 1.12.
        ([1] * 8 + [2, 10], Decimal("1.13")),
        ([10], Decimal("10.00")),
    ],
)
def test_averages_round_half_up_to_two_decimals(values, average):
    assert average_of(values) == average


def test_no_scores_means_no_average():
    assert average_of([]) is None
