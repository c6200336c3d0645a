"""What every page needs from notifications: the unread count in the navigation."""

from __future__ import annotations

from flask_login import current_user

from app import badges
from app.blueprints.notifications import bp
from app.services.notifications import inbox


def unread_total() -> int:
    """The signed-in user's unread notifications (0 when the database cannot say); read
    with the other badges in one statement (app/badges.py)."""
    if not current_user.is_authenticated:
        return 0
    return badges.counts(current_user.id).notifications_unread


def mute_settings() -> list[tuple[str, object, bool]]:
    """Each kind with its label and whether the signed-in user hears about it."""
    muted = inbox.muted_kinds(current_user.id)
    return [(kind.value, label, kind not in muted) for kind, label in inbox.kind_labels()]


@bp.app_context_processor
def _notification_globals() -> dict:
    return {
        "notification_unread_total": unread_total,
        "notification_mute_settings": mute_settings,
    }
