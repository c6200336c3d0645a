"""The ranked rows of a board page, rendered once per snapshot, page and language.

Between two hourly refreshes everyone who opens the same page of a board sees the same
rows, and the rows were most of the page's own cost (a profile link, an avatar and a rank
change on each of them). So the list is rendered once and kept, keyed by the snapshot it
came from: a refresh makes new keys, so new rankings show at once. An entry lives at most
`KEEP_SECONDS`, which bounds how long a renamed or removed member keeps their old row.

A viewer whose own row is on the page gets the list rendered for them, because their row
is marked as theirs; so does a page read from the database while the snapshot is away.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Hashable

from flask import current_app, render_template
from flask_babel import get_locale
from markupsafe import Markup

from app.services.leaderboard import BoardPage

KEEP_SECONDS = 60.0
MAX_ENTRIES = 512  # 2 periods × 6 categories × 2 languages × a few dozen pages
_EXTENSION = "encore_leaderboard_rows"


class RenderedRows:
    """A small least-recently-used store of rendered lists, one per app."""

    def __init__(self, keep_seconds: float = KEEP_SECONDS, size: int = MAX_ENTRIES) -> None:
        self.keep_seconds = keep_seconds
        self.size = size
        self._entries: OrderedDict[Hashable, tuple[float, Markup]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Markup | None:
        """Return the list kept under `key`, unless it is older than `keep_seconds`."""
        with self._lock:
            found = self._entries.get(key)
            if found is None or found[0] < time.monotonic():
                return None
            self._entries.move_to_end(key)
            return found[1]

    def put(self, key: Hashable, html: Markup) -> None:
        """Keep `html` under `key`, dropping the least recently used list when full."""
        with self._lock:
            self._entries[key] = (time.monotonic() + self.keep_seconds, html)
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)


def _store() -> RenderedRows:
    """This app's store (tests build many apps in one process; each keeps its own)."""
    if _EXTENSION not in current_app.extensions:
        current_app.extensions[_EXTENSION] = RenderedRows()
    return current_app.extensions[_EXTENSION]


def _key(board_page: BoardPage) -> Hashable | None:
    """The key of a page everyone sees alike, or None when this viewer's copy differs."""
    if board_page.updated_at is None or board_page.source == "database":
        return None
    viewer = board_page.viewer
    if viewer is not None and any(e.user_id == viewer.user_id for e in board_page.entries):
        return None
    board = board_page.board
    return (
        board_page.updated_at,
        str(get_locale()),
        board.period,
        board.category,
        board_page.page,
        board_page.page_size,
        board_page.show_changes,
    )


def _render(board_page: BoardPage) -> Markup:
    """Render the list; the template escapes every value, so the result is markup."""
    html = render_template("leaderboard/_rows.html", board_page=board_page)
    return Markup(html)  # noqa: S704  (autoescaped template output)


def board_rows(board_page: BoardPage) -> Markup:
    """Return the HTML of the page's ranked list, from the store when another viewer
    already rendered the same one."""
    key = _key(board_page)
    if key is None:
        return _render(board_page)
    store = _store()
    html = store.get(key)
    if html is None:
        html = _render(board_page)
        store.put(key, html)
    return html
