"""The publish step of a post: queue the line (and, in a conversation, the members'
`inbox` counts) on the transaction; app/realtime/broadcast.py sends them after commit."""

from __future__ import annotations

from app.models import ChannelKind, Message
from app.realtime.broadcast import broadcast
from app.realtime.events import CHAT_MESSAGE
from app.services.chat.render import render_line
from app.services.chat.unread import queue_inbox_for_members


def publish(message: Message, kind: ChannelKind | None = None) -> str:
    """Queue the line for its channel and the unread counts for its members; return its HTML.

    The HTML is rendered once here and handed back, so the sender's reply reuses it.
    """
    html = render_line(message)
    broadcast(
        CHAT_MESSAGE,
        {"channel_id": message.channel_id, "id": message.id, "seq": message.seq, "html": html},
        f"channel:{message.channel_id}",
    )
    if kind is None:
        kind = message.channel.kind
    if kind != ChannelKind.ROOM:
        queue_inbox_for_members(message.channel_id)
    return html
