"""`flask seed-demo` adds conversations with history, once."""

from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db
from app.models import Channel, ChannelKind, Message
from tests.support.web import AuthActions


def test_seed_demo_adds_conversations_with_history_once(app, runner):
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    assert "chats: 4 conversations created" in first.output
    with app.app_context():
        # Room chats get demo lines too when other demo parts made rooms; count conversations.
        channels = db.session.scalar(
            select(func.count(Channel.id)).where(Channel.kind != ChannelKind.ROOM)
        )
        lines = db.session.scalar(select(func.count(Message.id)))
    assert channels == 4 and lines >= 20

    again = runner.invoke(args=["seed-demo"])
    assert "chats: 0 conversations created" in again.output
    with app.app_context():
        assert db.session.scalar(select(func.count(Message.id))) == lines

    client = app.test_client()
    AuthActions(client).login("mina", "encore-demo")
    listing = client.get("/chats/").get_data(as_text=True)
    assert "금요일 노래방 크루 🎤" in listing and "박준호" in listing
    assert 'class="chat-unread"' in listing
