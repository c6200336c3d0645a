"""The notifications page (read when seen), the toast and badge fragments, and mute settings."""

from __future__ import annotations

from flask import flash, make_response, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.blueprints.notifications import bp
from app.errors import render_error
from app.request_input import page_arg
from app.responses import see_other
from app.services.notifications import inbox


@bp.get("/notifications")
@login_required
def index():
    """My notifications, newest first; opening the page marks the ones shown as read."""
    page = page_arg(strict=False)
    entries, has_next = inbox.entries(current_user.id, page)
    unread = inbox.unread_count(current_user.id)
    html = render_template(
        "notifications/index.html", entries=entries, page=page, has_next=has_next, unread=unread
    )
    # Rendered first, so the reader still sees which ones are new on this visit.
    inbox.mark_read(current_user.id, [e.notification.id for e in entries if e.unread])
    response = make_response(html)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/notifications/<int:notification_id>/toast")
@login_required
def toast(notification_id: int):
    """One notification as a toast, in the reader's language, for the live push."""
    entry = inbox.one(current_user.id, notification_id)
    return render_template("notifications/_toast.html", entry=entry)


@bp.get("/notifications/badge")
@login_required
def badge():
    """The notifications link of the navigation with its unread badge, for live refreshes."""
    response = make_response(render_template("notifications/_nav_link.html"))
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.post("/settings/notifications")
@login_required
def settings():
    """Choose which kinds of notification to get (`notify`, repeatable); the rest are muted."""
    wanted = set(request.form.getlist("notify"))
    every = {kind.value for kind, _label in inbox.kind_labels()}
    if not wanted <= every:
        return render_error(400, _("Pick from the listed notifications."))
    inbox.set_muted(current_user.id, sorted(every - wanted))
    flash(_("Your notification settings are saved."), "success")
    return see_other(url_for("profiles.settings") + "#notification-settings")
