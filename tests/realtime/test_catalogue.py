"""docs/realtime-events.md and app/realtime/events.py list the same events and fields."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.realtime.events import CATALOGUE, STAGE

DOC = Path(__file__).resolve().parents[2] / "docs" / "realtime-events.md"


def documented_events() -> dict[str, set[str]]:
    """Each `### `event`` heading of the doc with the field names of its table."""
    events: dict[str, set[str]] = {}
    current = None
    for line in DOC.read_text().splitlines():
        heading = re.match(r"^### `([^`]+)`", line)
        if heading:
            current = heading.group(1)
            events[current] = set()
            continue
        row = re.match(r"^\| (\w+) \| \w+ \|", line)
        if current and row and row.group(1) != "field":
            events[current].add(row.group(1))
    return events


def test_doc_and_code_list_the_same_events_and_fields():
    code = {name: set(spec.fields) for name, spec in CATALOGUE.items()}
    assert documented_events() == code


def test_a_payload_that_breaks_the_catalogue_is_refused():
    STAGE.check({"room_id": 1, "version": 2})
    with pytest.raises(ValueError, match="payload keys"):
        STAGE.check({"room_id": 1})
    with pytest.raises(ValueError, match="version"):
        STAGE.check({"room_id": 1, "version": "2"})
