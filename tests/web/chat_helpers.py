"""Helpers for the chat tests: people with their own browsers, rooms and conversations."""

from __future__ import annotations

import re
import uuid

from sqlalchemy import func, select

from app.extensions import db
from app.models import Channel, ChannelMember, Message
from tests.support import factories
from tests.support.web import HTMX, AuthActions, post

SEQ = re.compile(r'data-seq="(\d+)"')


def person(app, username: str, display_name: str | None = None):
    """Create a user and return (their logged-in test client, their id)."""
    with app.app_context():
        user_id = factories.user(username, display_name)
    client = app.test_client()
    response = AuthActions(client).login(username)
    assert response.status_code == 303
    # Land where the login sends them, as a browser does: that first page puts the CSRF
    # token in the session. Without it, two requests of one client at once (the
    # concurrency tests) could each make a token, and the later cookie would refuse the
    # other's post.
    assert client.get(response.headers["Location"]).status_code == 200
    return client, user_id


def room_with(app, host_id: int, *member_ids: int, status: str = "lobby") -> int:
    """Create a room with a host and members; return its id."""
    with app.app_context():
        return factories.room(host_id, member_ids=member_ids, status=status)


def client_id() -> str:
    """A fresh client-generated message id, as the composer makes."""
    return uuid.uuid4().hex


def say(client, url: str, body: str, cid: str | None = None, *, htmx: bool = True):
    """Post a chat line the way the composer does."""
    return post(client, url, {"body": body, "client_id": cid or client_id()}, htmx=htmx)


def seqs(html: str) -> list[int]:
    """The sequence numbers of the lines in a history fragment, in page order."""
    return [int(s) for s in SEQ.findall(html)]


def history(client, url: str, **params) -> list[int]:
    """Fetch a history fragment as chat.js does and return its sequence numbers."""
    response = client.get(url, query_string=params, headers=HTMX)
    assert response.status_code == 200, response.status_code
    return seqs(response.get_data(as_text=True))


def message_count(app, channel_id: int | None = None) -> int:
    """How many lines are stored (in one channel, or everywhere)."""
    with app.app_context():
        query = select(func.count(Message.id))
        if channel_id is not None:
            query = query.where(Message.channel_id == channel_id)
        return db.session.scalar(query)


def room_channel(app, room_id: int) -> int | None:
    """The id of a room's channel, if it exists yet."""
    with app.app_context():
        return db.session.scalar(select(Channel.id).where(Channel.room_id == room_id))


def start_group(client, title: str, members: str) -> int:
    """Start a group through the form and return its channel id."""
    response = post(client, "/chats/new", {"title": title, "members": members})
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    return int(response.headers["Location"].rstrip("/").split("/")[-1])


def start_direct(client, username: str) -> int:
    """Start a direct conversation through the form and return its channel id."""
    response = post(client, "/chats/direct", {"username": username})
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    return int(response.headers["Location"].rstrip("/").split("/")[-1])


def membership(app, channel_id: int, user_id: int) -> ChannelMember | None:
    """A membership row, detached."""
    with app.app_context():
        row = db.session.scalar(
            select(ChannelMember).where(
                ChannelMember.channel_id == channel_id, ChannelMember.user_id == user_id
            )
        )
        if row is not None:
            db.session.expunge(row)
        return row
