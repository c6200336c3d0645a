"""The one strict parser for numbers and text arriving at the edge of the app.

Python's `str.isdigit()` and `int()` accept far more than a person types into a URL:
superscripts ("²"), Arabic-Indic digits and numbers past 64 bits, which the database then
rejects mid-query. Everything a blueprint turns into a number goes through here instead:
ASCII digits only, bounded to the range of the column it is compared with. Control
characters (NUL above all, which PostgreSQL refuses in text) are turned away with a 400
before any view runs.
"""

from __future__ import annotations

import re

from flask import Flask, abort, request
from flask_babel import gettext as _
from werkzeug.routing import IntegerConverter

# Ids and sequence numbers are BIGINT (or INTEGER, which this also bounds well below).
MAX_BIGINT = 2**63 - 1
# Pages past this are empty for any list Encore shows, and page * size stays far inside
# 64 bits for every page size the app uses.
MAX_PAGE = 1_000_000
# Tab, line feed and carriage return are ordinary text in a textarea; every other control
# character (C0, DEL and C1) is refused. One regular expression, not a loop over every
# character: it runs on every request.
_CONTROL_CHARACTER = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def parse_int(raw: str | None, *, minimum: int = 0, maximum: int = MAX_BIGINT) -> int | None:
    """Return `raw` as an int when it is ASCII digits within [minimum, maximum], else None."""
    if raw is None or not raw or len(raw) > 19 or not raw.isascii() or not raw.isdigit():
        return None
    value = int(raw)
    if value < minimum or value > maximum:
        return None
    return value


def arg_int(name: str, *, minimum: int = 0, maximum: int = MAX_BIGINT, message: str) -> int | None:
    """Return query argument `name` as a bounded int, None when absent; 400 with `message`."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    value = parse_int(raw, minimum=minimum, maximum=maximum)
    if value is None:
        abort(400, description=message)
    return value


def form_int(name: str, *, minimum: int = 1, maximum: int = MAX_BIGINT, message: str) -> int | None:
    """Return form field `name` as a bounded int, None when absent; 400 with `message`."""
    raw = (request.form.get(name) or "").strip()
    if not raw:
        return None
    value = parse_int(raw, minimum=minimum, maximum=maximum)
    if value is None:
        abort(400, description=message)
    return value


def page_arg(name: str = "page", *, strict: bool = True) -> int:
    """Return the page number in query argument `name` (1 when absent).

    A strict page answers 400 for garbage; a lenient one (the infinite-scroll lists, where a
    hand-edited URL should still show something) falls back to the first page.
    """
    raw = request.args.get(name)
    if raw is None or raw == "":
        return 1
    value = parse_int(raw, minimum=1, maximum=MAX_PAGE)
    if value is not None:
        return value
    if strict:
        abort(400, description=_("That page does not exist."))
    return 1


def id_arg(name: str) -> int | None:
    """Return query argument `name` as a row id (None when absent; 400 when not one)."""
    return arg_int(name, minimum=1, message=_("That is not a valid choice."))


def has_control_characters(text: str) -> bool:
    """Tell whether `text` holds a control character other than tab or a line break."""
    return _CONTROL_CHARACTER.search(text) is not None


def refuse_control_characters() -> None:
    """Answer 400 when the path, a query or a form field carries a control character.

    Runs before every view, so no handler ever sends such text to the database. Uploaded
    files are bytes and are checked by what reads them.
    """
    values = [request.path]
    for multidict in (request.args, request.form):
        for key, value in multidict.items(multi=True):
            values.append(key)
            values.append(value)
    if any(has_control_characters(value) for value in values):
        abort(400, description=_("That text contains characters Encore cannot store."))


class StrictIntConverter(IntegerConverter):
    """`<int:…>` URL segments: ASCII digits only and within 64 bits, else the route 404s."""

    regex = r"[0-9]{1,19}"

    def __init__(self, map, *args, **kwargs) -> None:
        kwargs.setdefault("max", MAX_BIGINT)
        super().__init__(map, *args, **kwargs)


def init_request_input(app: Flask) -> None:
    """Install the strict `int` converter and the control-character check on `app`.

    Must run before any blueprint adds its rules, which bind the converter when added.
    """
    app.url_map.converters["int"] = StrictIntConverter
    app.before_request(refuse_control_characters)
