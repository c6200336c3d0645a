"""Small helpers for the room views: who is looking, and id fields from forms."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_login import current_user

from app.request_input import form_int as strict_form_int


def viewer_id() -> int | None:
    """Return the signed-in user's id, or None for visitors."""
    return current_user.id if current_user.is_authenticated else None


def form_int(name: str) -> int | None:
    """Return a positive integer form field, or None when absent; 400 when it is garbage."""
    return strict_form_int(name, message=_("That is not a valid choice."))
