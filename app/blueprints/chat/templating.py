"""What chat gives every template: the room chat panel and the unread badge."""

from __future__ import annotations

from flask_login import current_user
from jinja2 import pass_context
from jinja2.runtime import Context, Macro
from markupsafe import Markup

from app import badges
from app.blueprints.chat import bp
from app.models import Room
from app.services import chat as chat_service
from app.services import host_tools, sanctions
from app.services.room_chat_access import may_use_chat_of, may_use_room_chat


@bp.record_once
def _register(state) -> None:
    """Watch the Redis publisher, so the post gate sheds while publishes are being lost."""
    chat_service.watch_publisher()


def line_tools(room: Room | None) -> dict | None:
    """Return what `chat/_line_tools.html` needs for the viewer in `room`'s chat, if anything.

    Everyone signed in may delete their own lines; the host and moderators get the whole menu.
    """
    if room is None or not current_user.is_authenticated:
        return None
    return {
        "room_id": room.id,
        "host": host_tools.may_use_host_tools(current_user.id, room),
        "viewer_id": current_user.id,
        "room_host_id": room.host_id,
        "reasons": sanctions.REASONS,
        "minutes": host_tools.TIMEOUT_MINUTES,
    }


def room_panel(room, seated: bool | None = None) -> dict:
    """Return what `chat/_room_panel.html` needs for `room` and the current viewer.

    `seated` is whether the viewer holds a seat, when the page has read it already (the
    room page's stage); None reads it here.
    """
    if room is None or not current_user.is_authenticated:
        return {"member": False}
    if seated is None:
        allowed = may_use_room_chat(current_user.id, room.id)
    else:
        allowed = may_use_chat_of(room, seated)
    if not allowed:
        return {"member": False}
    channel_id, lines = chat_service.room_latest(room.id)
    viewer = chat_service.chat_viewer(current_user.id, room.id)
    return {
        "member": True,
        "channel_id": channel_id,
        "messages": lines,
        "has_older": bool(lines) and lines[0].seq > 1,
        "client_id": chat_service.new_client_id(),
        "line_tools": line_tools(room),
        "restriction": viewer.restriction,
        "slow_seconds": room.chat_slow_seconds,
        "hidden_senders": viewer.hidden_senders,
    }


@bp.app_template_global()
@pass_context
def chat_lines(context: Context, messages, chat_line: Macro) -> Markup:
    """Render a page of lines, each on a line of its own, as `chat_line` would.

    Ordinary lines come from the post path's pattern (`ordinary_line_renderer`), which
    tests/web/test_chat_lines_render.py holds to the macro's output character for
    character. The macro renders the rest: system and removed lines, lines of people in a
    block with the viewer, and lines that carry the viewer's menu.
    """
    viewer_id = context.get("viewer_id")
    hidden = context.get("hidden_senders") or ()
    tools = context.get("line_tools")
    ordinary = chat_service.ordinary_line_renderer()
    out: list[str] = []
    for message in messages:
        sender_id = message.sender_id
        mine = bool(viewer_id) and sender_id == viewer_id
        html = None
        if sender_id not in hidden and not (tools and viewer_id and (tools["host"] or mine)):
            html = ordinary(message, mine)
        out.append("\n")
        out.append(html if html is not None else chat_line(message))
    return Markup("".join(out))  # noqa: S704  (pattern lines escape their values; the rest is the macro's)


def unread_total() -> int:
    """Return the viewer's unread conversation lines (0 for visitors, or when the database
    cannot say); read with the other badges in one statement (app/badges.py)."""
    if not current_user.is_authenticated:
        return 0
    return badges.counts(current_user.id).chat_unread


@bp.app_context_processor
def _chat_globals() -> dict:
    return {
        "chat_room_panel": room_panel,
        "chat_unread_total": unread_total,
        "slow_choices": host_tools.SLOW_SECONDS,
    }
