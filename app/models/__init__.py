"""All models, imported here so Alembic and the app see every table."""

from app.models.chat import Channel, ChannelKind, ChannelMember, Message, MessageKind
from app.models.room import Performance, Phase, Room, RoomMember, RoomMode, RoomStatus, Score
from app.models.safety import (
    Ban,
    Block,
    ChatTimeout,
    ModAction,
    Report,
    ReportStatus,
    ReportTarget,
    SiteSetting,
)
from app.models.social import Follow
from app.models.user import OAuthAccount, User

__all__ = [
    "Ban",
    "Block",
    "Channel",
    "ChannelKind",
    "ChannelMember",
    "ChatTimeout",
    "Follow",
    "Message",
    "MessageKind",
    "ModAction",
    "OAuthAccount",
    "Performance",
    "Phase",
    "Report",
    "ReportStatus",
    "ReportTarget",
    "Room",
    "RoomMember",
    "RoomMode",
    "RoomStatus",
    "Score",
    "SiteSetting",
    "User",
]
