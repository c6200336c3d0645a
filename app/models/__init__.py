"""All models, imported here so Alembic and the app see every table."""

from app.models.chat import Channel, ChannelKind, ChannelMember, Message, MessageKind
from app.models.room import (
    Performance,
    Phase,
    Room,
    RoomMember,
    RoomMode,
    RoomStatus,
    RoomVideo,
    Score,
)
from app.models.social import Follow
from app.models.user import OAuthAccount, User

__all__ = [
    "Channel",
    "ChannelKind",
    "ChannelMember",
    "Follow",
    "Message",
    "MessageKind",
    "OAuthAccount",
    "Performance",
    "Phase",
    "Room",
    "RoomMember",
    "RoomMode",
    "RoomStatus",
    "RoomVideo",
    "Score",
    "User",
]
