"""Host tools for the room chat: timeouts, deleting lines and slow mode.

Every action is a plain form POST (CSRF-protected) that also carries `hx-post`. Without
htmx it answers 303 back to the room's chat with a flash; with htmx it answers a toast,
the re-rendered host panel, or (for a deleted line) nothing, and the line's own form
removes it. The rules are in app/services/host_tools.py.
"""

from __future__ import annotations

from flask import flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.blueprints.rooms import bp
from app.blueprints.rooms.guards import form_int
from app.extensions import db
from app.models import Room, User
from app.request_input import form_int as strict_form_int
from app.responses import is_htmx, see_other, varying
from app.services import host_tools


def _back(room_id: int) -> str:
    """Where a plain form returns: the room page, at its chat."""
    return url_for("rooms.show", room_id=room_id) + "#chat"


def _done(room_id: int, message: str):
    """Answer a host action: a toast for htmx, else a flash and 303 back to the chat."""
    if is_htmx():
        response = varying(render_template("chat/_host_done.html", message=message))
        response.headers["HX-Retarget"] = "#toasts"
        response.headers["HX-Reswap"] = "afterbegin"
        return response
    flash(message, "success")
    return see_other(_back(room_id))


def _choice(name: str) -> int | None:
    """Return a menu choice (minutes or seconds, 0 allowed); 400 when it is garbage."""
    return strict_form_int(name, minimum=0, maximum=100_000, message=_("Choose from the list."))


@bp.post("/<int:room_id>/chat/timeout")
@login_required
def chat_timeout(room_id: int):
    """Time a person out of this room's chat: `user_id`, `minutes`, `reason`."""
    timeout = host_tools.do_room_timeout(
        current_user.id,
        room_id,
        form_int("user_id"),
        request.form.get("reason", ""),
        _choice("minutes"),
    )
    person = db.session.get(User, timeout.user_id)
    name = person.display_name if person else ""
    return _done(room_id, _("%(name)s is timed out of this chat.", name=name))


@bp.post("/<int:room_id>/chat/timeout/lift")
@login_required
def chat_timeout_lift(room_id: int):
    """End a person's timeouts in this room's chat now: `user_id`."""
    host_tools.lift_room_timeouts(current_user.id, room_id, form_int("user_id"))
    return _done(room_id, _("The timeout is over."))


@bp.post("/<int:room_id>/messages/<int:message_id>/delete")
@login_required
def chat_delete(room_id: int, message_id: int):
    """Delete a chat line: its author, the host or a moderator."""
    host_tools.delete_room_line(current_user.id, room_id, message_id)
    if is_htmx():
        # The form sits in the line and swaps it away; the others hear `chat:removed`.
        return varying("")
    flash(_("The message was deleted."), "success")
    return see_other(_back(room_id))


@bp.post("/<int:room_id>/chat/slow-mode")
@login_required
def chat_slow_mode(room_id: int):
    """Set the room chat's slow mode: `seconds` (0 turns it off)."""
    room = host_tools.set_slow_mode(current_user.id, room_id, _choice("seconds"))
    if is_htmx():
        room = db.session.get(Room, room_id)
        return varying(render_template("chat/_host_tools.html", room=room, open_panel=True))
    flash(_("Slow mode is on.") if room.chat_slow_seconds else _("Slow mode is off."), "success")
    return see_other(_back(room_id))
