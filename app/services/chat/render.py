"""Render a chat line once: the same HTML goes to every socket and back to the sender."""

from __future__ import annotations

from flask import current_app
from flask_babel import force_locale, get_locale

from app.models import Message

_LINE_CLASS = 'class="chat-line"'


def render_line(message: Message) -> str:
    """Render one line the same way for every viewer (the `chat:message` html payload).

    Straight from the Jinja environment: the line uses no request globals, and Flask's
    context processors and signals were a third of the cost of a render done per post and
    per language.
    """
    template = current_app.jinja_env.get_template("chat/_message.html")
    return template.render(message=message, viewer_id=None)


def render_line_per_locale(message: Message) -> dict[str, str]:
    """Render one line once per language, so each receiver reads it in their own."""
    lines = {}
    for locale in current_app.config["LANGUAGES"]:
        with force_locale(locale):
            lines[locale] = render_line(message)
    return lines


def in_current_locale(lines: dict[str, str]) -> str:
    """Pick the rendering for the language this request is served in."""
    return lines.get(str(get_locale()), lines[current_app.config["BABEL_DEFAULT_LOCALE"]])


def mark_mine(html: str) -> str:
    """Mark a rendered user line as the viewer's own, as pages do (system lines stay as is).

    The sender's reply reuses the broadcast's HTML instead of rendering the line again;
    chat.js adds the same class to pushed lines.
    """
    return html.replace(_LINE_CLASS, 'class="chat-line is-mine"', 1)
