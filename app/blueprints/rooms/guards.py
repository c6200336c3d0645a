"""Id fields from the room forms (and `viewer_id`, which lives in app/responses.py)."""

from __future__ import annotations

from flask_babel import gettext as _

from app.request_input import form_int as strict_form_int
from app.responses import viewer_id

__all__ = ["form_int", "viewer_id"]


def form_int(name: str) -> int | None:
    """Return a positive integer form field, or None when absent; 400 when it is garbage."""
    return strict_form_int(name, message=_("That is not a valid choice."))
