"""Small pieces every highlights view shares: page size, cursors and like intent."""

from __future__ import annotations

from flask import current_app, request


def page_size() -> int:
    """Return how many posts a feed page holds."""
    return current_app.config["FEED_PAGE_SIZE"]


def cursor_arg() -> str | None:
    """Return the `cursor` query argument (the position after the last item shown)."""
    return request.args.get("cursor") or None


def wanted_like(currently: bool) -> bool:
    """Read the button's intent: `like` or `unlike` (so a double tap cannot undo itself);
    a form without it toggles."""
    action = request.form.get("action")
    if action == "like":
        return True
    if action == "unlike":
        return False
    return not currently
