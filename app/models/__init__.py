"""All models, imported here so Alembic and the app see every table."""

from app.models.chat import Channel, ChannelKind, ChannelMember, Message, MessageKind
from app.models.invite import RoomInvite
from app.models.notification import Notification, NotificationActor, NotificationMute
from app.models.post import Comment, Like, Post, PostPhoto, PostTag, Tag
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
    "Comment",
    "Follow",
    "Like",
    "Message",
    "MessageKind",
    "ModAction",
    "Notification",
    "NotificationActor",
    "NotificationMute",
    "OAuthAccount",
    "Performance",
    "Phase",
    "Post",
    "PostPhoto",
    "PostTag",
    "Report",
    "ReportStatus",
    "ReportTarget",
    "Room",
    "RoomInvite",
    "RoomMember",
    "RoomMode",
    "RoomStatus",
    "RoomVideo",
    "Score",
    "SiteSetting",
    "Tag",
    "User",
]
