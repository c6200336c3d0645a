"""The publish step of a post: queue the line (and, in a conversation, the members'
`inbox` counts) on the transaction; app/realtime/broadcast.py sends them after commit."""

from __future__ import annotations

from flask import current_app

from app.models import ChannelKind, Message
from app.realtime.broadcast import broadcast
from app.realtime.events import CHAT_MESSAGE
from app.services.chat.render import in_current_locale, render_line_per_locale
from app.services.chat.unread import queue_inbox_for_members


def publish(
    message: Message,
    kind: ChannelKind | None = None,
    member_ids: tuple[int, ...] | None = None,
) -> str:
    """Queue the line for its channel and the unread counts for its members; return its HTML.

    The HTML is rendered once per language here, and the sender's reply reuses the one in
    the sender's language. `member_ids` are a conversation's present members when the
    post's statement read them already.
    """
    lines = render_line_per_locale(message)
    broadcast(
        CHAT_MESSAGE,
        {
            "channel_id": message.channel_id,
            "id": message.id,
            "seq": message.seq,
            "html": lines[current_app.config["BABEL_DEFAULT_LOCALE"]],
            "html_by_locale": lines,
        },
        f"channel:{message.channel_id}",
    )
    if kind is None:
        kind = message.channel.kind
    if kind != ChannelKind.ROOM:
        queue_inbox_for_members(message.channel_id, member_ids)
    return in_current_locale(lines)
