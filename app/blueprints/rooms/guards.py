"""Id fields from the room forms (and `viewer_id`, which lives in app/responses.py)."""

from __future__ import annotations

from flask import abort, request
from flask_babel import gettext as _

from app.responses import viewer_id

__all__ = ["form_int", "viewer_id"]


def form_int(name: str) -> int | None:
    """Return a positive integer form field, or None when absent; 400 when it is garbage."""
    raw = (request.form.get(name) or "").strip()
    if not raw:
        return None
    if not raw.isascii() or not raw.isdigit() or len(raw) > 12:
        abort(400, description=_("That is not a valid choice."))
    return int(raw)
