"""The chat line the bare Flask-SocketIO server emits: one shape for every bench that uses it.

`bench/bare_server.py` (the bare server process) and `bench/request_tax.py` (the same view
in-process) emit exactly this, so Encore is always held against the same work: a line
escaped and wrapped, with the ids a client matches deliveries by.
"""

from __future__ import annotations

from html import escape

EVENT = "chat:message"


def bare_line(channel_id: int, message_id: int, body: str) -> dict:
    """The `chat:message` payload for line `message_id` of `channel_id` saying `body`."""
    html = f'<li class="chat-line" id="m{message_id}"><b>bench</b> {escape(body)}</li>'
    return {"channel_id": channel_id, "id": message_id, "seq": message_id, "html": html}
