"""Render a chat line once: the same HTML goes to every socket and back to the sender.

A fresh line someone wrote (the whole post path) is not rendered by Jinja at all. Its
HTML is the same in every post but for eight values (ids, the author, the body, the
time), so `chat/_message.html` is rendered once per language into a `LinePattern` with a
marker in each value's place, and a post fills the gaps with its escaped values. The
template stays the one source of the markup: a new pattern is made whenever the template
is reloaded, and tests/web/test_line_pattern.py checks that a filled pattern equals the
template's own rendering, character for character, for awkward names and bodies in both
languages. System lines, removed lines and lines of deleted accounts render through the
template as before; they are rare.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from functools import lru_cache
from types import SimpleNamespace
from weakref import WeakKeyDictionary

from flask import current_app, has_request_context, request
from flask_babel import force_locale, get_locale, get_timezone
from jinja2 import Template
from markupsafe import escape

from app import fragment_cache
from app.i18n import iso_datetime, time_short, translations_for_render
from app.models import Message, MessageKind
from app.services.chat.history import Line

_LINE_CLASS = 'class="chat-line"'
_KEPT = "chat-line-pattern"  # the fragment store's name for lines filled from the pattern
_TEMPLATE = "chat/_message.html"

# Markers for the values of a line: letters only, so escaping and URLs leave them as they
# are, and words no template would ever write.
_FIELDS = ("channel_id", "seq", "id", "sender_id", "author", "body")
_MARKERS = {name: f"qqEncoreLine{name.replace('_', '')}qq" for name in _FIELDS}
# A moment no line is posted at; its two renderings stand for the line's time.
_SAMPLE_TIME = datetime(2001, 2, 3, 4, 37, 59, tzinfo=UTC)


@lru_cache(maxsize=8)
def _flat_globals(template: Template) -> dict:
    """The template's globals as one plain dict, made once per template.

    `Template.render` copies its chain of globals into a new dict on every call, a lookup
    per name; the copy was a tenth of each render.
    """
    return dict(template.globals)


def render_line_from_template(message: Message) -> str:
    """Render one line through `chat/_message.html`, the same way for every viewer.

    Straight from the Jinja environment: the line uses no request globals, and Flask's
    context processors and signals were a third of the cost of a render. The context is the
    flat globals, `_()` bound to the catalogue of the current language (as in every
    render_template) and the line.
    """
    template = current_app.jinja_env.get_template(_TEMPLATE)
    return _render(template, message)


def _render(template: Template, message: Message | SimpleNamespace) -> str:
    variables = _flat_globals(template) | translations_for_render()
    variables.update(message=message, viewer_id=None)
    context = template.new_context(variables, shared=True)
    return "".join(template.root_render_func(context))


@dataclass(frozen=True)
class LinePattern:
    """A rendered line with gaps: literal text and field names, one after the other."""

    parts: tuple[str, ...]  # literal, field, literal, field, …, literal

    def fill(self, values: dict[str, str]) -> str:
        """Join the literals with each field's (already escaped) value."""
        parts = self.parts
        out = [parts[0]]
        for n in range(1, len(parts), 2):
            out.append(values[parts[n]])
            out.append(parts[n + 1])
        return "".join(out)


def _make_pattern(template: Template) -> LinePattern:
    """Render the template for a stand-in line whose values are markers, and cut at them."""
    stand_in = SimpleNamespace(
        kind=MessageKind.USER,
        deleted_at=None,
        created_at=_SAMPLE_TIME,
        sender=SimpleNamespace(display_name=_MARKERS["author"]),
        **{name: _MARKERS[name] for name in _FIELDS if name != "author"},
    )
    html = _render(template, stand_in)
    times = {iso_datetime(_SAMPLE_TIME): "iso", time_short(_SAMPLE_TIME): "time"}
    names = {marker: name for name, marker in _MARKERS.items()} | times
    # The ISO moment comes first in the alternation: the short time may be part of it.
    cut = re.compile("|".join(re.escape(text) for text in sorted(names, key=len, reverse=True)))
    parts: list[str] = []
    last = 0
    for match in cut.finditer(html):
        parts += [html[last : match.start()], names[match.group(0)]]
        last = match.end()
    parts.append(html[last:])
    return LinePattern(tuple(parts))


# Patterns per template object (a reloaded template is a new one), then per language and
# URL prefix; the time zone is not part of the key, because the time is a field.
_patterns: WeakKeyDictionary[Template, dict[tuple, LinePattern]] = WeakKeyDictionary()


def _pattern(locale: str) -> LinePattern:
    template = current_app.jinja_env.get_template(_TEMPLATE)
    script_root = request.script_root if has_request_context() else None
    kept = _patterns.setdefault(template, {})
    key = (locale, script_root)
    pattern = kept.get(key)
    if pattern is None:
        with force_locale(locale):
            pattern = kept[key] = _make_pattern(template)
    return pattern


def _fits_pattern(message: Message | Line) -> bool:
    """A live line with an author: the shape every post has."""
    return (
        message.kind == MessageKind.USER
        and message.deleted_at is None
        and message.sender is not None
    )


def _values(message: Message | Line, zone: tzinfo | None = None) -> dict[str, str]:
    """The line's values, escaped as the template escapes them (`zone`: the viewer's)."""
    return {
        "channel_id": str(message.channel_id),
        "seq": str(message.seq),
        "id": str(message.id),
        "sender_id": str(message.sender_id),
        "author": str(escape(message.sender.display_name)),
        "body": str(escape(message.body)),
        "iso": str(escape(iso_datetime(message.created_at))),
        "time": str(escape(time_short(message.created_at, zone))),
    }


def _lines(message: Message, locales: tuple[str, ...] | list[str]) -> dict[str, str]:
    """Render one line in each of `locales`: from the pattern when it fits, else the template."""
    if _fits_pattern(message):
        values = _values(message)
        return {locale: _pattern(locale).fill(values) for locale in locales}
    lines = {}
    for locale in locales:
        with force_locale(locale):
            lines[locale] = render_line_from_template(message)
    return lines


def render_line(message: Message) -> str:
    """Render one line in the current language, the same for every viewer."""
    locale = str(get_locale())
    return _lines(message, (locale,))[locale]


def render_line_per_locale(message: Message) -> dict[str, str]:
    """Render one line in every language, so each receiver reads it in their own."""
    return _lines(message, current_app.config["LANGUAGES"])


def ordinary_line_renderer() -> Callable[[Message | Line, bool], str | None]:
    """Return a renderer for a page of lines in the current language and time zone.

    It gives an ordinary line (a user's, not removed, whose author still exists) from the
    post path's pattern, marked as the viewer's own when `mine`, and None for any other
    line, which the page renders through `chat/_line.html`. Filled lines are kept in the
    fragment store under every value they show, so a page of lines seen before is fifty
    lookups: through the macro, fifty lines were a fifth of the room page's instructions.
    """
    pattern = _pattern(str(get_locale()))
    zone = get_timezone()
    setting = (pattern, str(zone))

    def render(message: Message | Line, mine: bool) -> str | None:
        if not _fits_pattern(message):
            return None
        author = message.sender.display_name
        key = (_KEPT, setting, message.id, message.channel_id, message.seq, message.sender_id)
        key += (message.body, message.created_at, author, mine)
        html = fragment_cache.store.get(key)
        if html is None:
            html = pattern.fill(_values(message, zone))
            html = mark_mine(html) if mine else html
            fragment_cache.store.put(key, html)
        return html

    return render


def in_current_locale(lines: dict[str, str]) -> str:
    """Pick the rendering for the language this request is served in."""
    return lines.get(str(get_locale()), lines[current_app.config["BABEL_DEFAULT_LOCALE"]])


def mark_mine(html: str) -> str:
    """Mark a rendered user line as the viewer's own, as pages do (system lines stay as is).

    The sender's reply reuses the broadcast's HTML instead of rendering the line again;
    chat.js adds the same class to pushed lines.
    """
    return html.replace(_LINE_CLASS, 'class="chat-line is-mine"', 1)
