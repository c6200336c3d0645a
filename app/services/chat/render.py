"""Render a chat line once: the same HTML goes to every socket and back to the sender."""

from __future__ import annotations

from flask import render_template

from app.models import Message

_LINE_CLASS = 'class="chat-line"'


def render_line(message: Message) -> str:
    """Render one line the same way for every viewer (the `chat:message` html payload)."""
    return render_template("chat/_message.html", message=message, viewer_id=None)


def mark_mine(html: str) -> str:
    """Mark a rendered user line as the viewer's own, as pages do (system lines stay as is).

    The sender's reply reuses the broadcast's HTML instead of rendering the line again;
    chat.js adds the same class to pushed lines.
    """
    return html.replace(_LINE_CLASS, 'class="chat-line is-mine"', 1)
