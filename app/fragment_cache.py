"""Rendered fragments kept by what they show: `{% cache "name", value, ... %}…{% endcache %}`.

Fifty members fetch the stage after every change, and most of what they get is the same
HTML: the member rows, the results table, the chat lines. A block inside `{% cache %}` is
rendered once for each distinct key and then copied.

The key is the content. Every value the block reads is listed in the tag, so an entry can
never go stale and nothing has to be invalidated, on this process or any other: a change
makes a new key, and the old entry ages out of a small least-recently-used store. The
language, the time zone and the script root are added to every key, because translated
text, times and URLs depend on them.

Never cache a block that reads the viewer's session (`csrf_token()`, `current_user`):
keep those parts outside the tag, as the member row's host menu and the chat line's tools
are.
"""

from __future__ import annotations

from collections import OrderedDict
from threading import Lock

import flask_babel
from flask import Flask, has_request_context, request
from jinja2 import Undefined, nodes
from jinja2.ext import Extension
from jinja2.parser import Parser

# The store is bounded by characters, not entries: a member row is half a kilobyte, a
# results table several. Sixteen million characters (a few tens of MB) holds every row of
# hundreds of busy rooms.
MAX_CHARACTERS = 16_000_000


class FragmentStore:
    """A least-recently-used map of key → rendered HTML, bounded by total characters."""

    def __init__(self, max_characters: int = MAX_CHARACTERS) -> None:
        self.max_characters = max_characters
        self._entries: OrderedDict[tuple, str] = OrderedDict()
        self._characters = 0
        self._lock = Lock()

    def get(self, key: tuple) -> str | None:
        """Return the fragment kept under `key`, marking it recently used, or None."""
        with self._lock:
            html = self._entries.get(key)
            if html is not None:
                self._entries.move_to_end(key)
            return html

    def put(self, key: tuple, html: str) -> None:
        """Keep `html` under `key`, dropping the least recently used entries past the bound."""
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._characters -= len(old)
            self._entries[key] = html
            self._characters += len(html)
            while self._characters > self.max_characters and self._entries:
                _key, dropped = self._entries.popitem(last=False)
                self._characters -= len(dropped)

    def __len__(self) -> int:
        return len(self._entries)


store = FragmentStore()
SETTING = "_fragment_setting"  # the template variable that carries _setting() into a render


def _setting() -> tuple:
    """What every fragment also depends on: language, time zone and the URL prefix.

    Worked out once per `render_template` (the context processor below) rather than per
    fragment: a page holds a hundred and fifty of them, and Flask-Babel's lookups cost more
    than the fragment itself.
    """
    script_root = request.script_root if has_request_context() else None
    return (str(flask_babel.get_locale()), str(flask_babel.get_timezone()), script_root)


class _RenderSetting:
    """_setting() for one render, worked out when its first fragment asks (most pages have none)."""

    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value: tuple | None = None

    def get(self) -> tuple:
        if self.value is None:
            self.value = _setting()
        return self.value


def init_fragment_cache(app: Flask) -> None:
    """Add the `{% cache %}` tag to `app`'s templates, and the setting to every render."""
    app.jinja_env.add_extension(FragmentCacheExtension)
    app.context_processor(lambda: {SETTING: _RenderSetting()})


class FragmentCacheExtension(Extension):
    """The `{% cache %}` tag: its arguments are the fragment's name and everything it reads."""

    tags = {"cache"}

    def parse(self, parser: Parser) -> nodes.Node:
        """Parse `cache expr, expr, …` up to `endcache` into a call that renders the body."""
        lineno = next(parser.stream).lineno
        parts = [parser.parse_expression()]
        while parser.stream.skip_if("comma"):
            parts.append(parser.parse_expression())
        body = parser.parse_statements(("name:endcache",), drop_needle=True)
        key = nodes.Tuple(parts, "load", lineno=lineno)
        setting = nodes.Name(SETTING, "load", lineno=lineno)
        call = self.call_method("_fragment", [setting, key], lineno=lineno)
        return nodes.CallBlock(call, [], [], body, lineno=lineno)

    def _fragment(self, setting: _RenderSetting | Undefined, parts: tuple, caller) -> str:
        """Return the kept rendering of the body for `parts`, rendering it on a miss."""
        # Renders outside render_template (a chat line for a broadcast) work it out here.
        key = (setting.get() if isinstance(setting, _RenderSetting) else _setting(), parts)
        html = store.get(key)
        if html is None:
            html = caller()
            store.put(key, html)
        return html
