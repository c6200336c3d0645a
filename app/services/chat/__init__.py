"""Chat: channels for rooms and conversations, posting, reading and unread counts.

One module per job, the way a line travels (docs/chat.md has the map):

- `access`: who may read or write a channel;
- the post pipeline: `clean` → `gate` → `flood` → `persist` → `publish` (`post` runs it,
  `render` renders a line once for everyone);
- `history`: reading lines; `viewer`: what a chat view knows of its viewer;
  `conversations`: direct and group channels; `unread`: counts.

Callers import from this package; the names below are its public API.
"""

from app.services.chat.access import (
    can_read,
    conversation,
    is_room_member,
    readable_channel,
    room_channel_for,
    room_channel_id,
    stop_hearing_room,
    stop_hearing_room_chat,
)
from app.services.chat.clean import (
    CLIENT_ID_RE,
    MAX_BODY,
    MAX_TITLE,
    clean_body,
    clean_title,
    new_client_id,
    validate_client_id,
    validate_length,
)
from app.services.chat.conversations import (
    MAX_GROUP_MEMBERS,
    SYSTEM_CREATED,
    SYSTEM_LEFT,
    SYSTEM_RENAMED,
    ConversationRow,
    conversation_title,
    conversations,
    leave,
    members,
    other_person,
    rename,
    start_direct,
    start_group,
    users_by_username,
)
from app.services.chat.errors import (
    BadClientId,
    ChannelNotFound,
    ChatBusy,
    ClientIdReused,
    EmptyMessage,
    Flooding,
    MessageTooLong,
    NotAGroup,
    RepeatedLine,
    RoomChatNotFound,
    SlowMode,
)
from app.services.chat.flood import FloodLimits, LocalFlood, check_flood, flood_limits
from app.services.chat.gate import (
    PostGate,
    _PublishWatch,
    post_gate,
    publish_in_trouble,
    watch_publisher,
)
from app.services.chat.history import AFTER_LIMIT, PAGE_SIZE, after, before, latest, room_latest
from app.services.chat.persist import persist
from app.services.chat.post import PostResult, find_retry, post_message, post_room_message
from app.services.chat.publish import publish
from app.services.chat.render import mark_mine, ordinary_line_renderer, render_line
from app.services.chat.unread import mark_read, unread_in, unread_total
from app.services.chat.viewer import ChatViewer, chat_viewer

__all__ = [
    "AFTER_LIMIT",
    "CLIENT_ID_RE",
    "MAX_BODY",
    "MAX_GROUP_MEMBERS",
    "MAX_TITLE",
    "PAGE_SIZE",
    "SYSTEM_CREATED",
    "SYSTEM_LEFT",
    "SYSTEM_RENAMED",
    "BadClientId",
    "ChannelNotFound",
    "ChatBusy",
    "ChatViewer",
    "ClientIdReused",
    "ConversationRow",
    "EmptyMessage",
    "FloodLimits",
    "Flooding",
    "LocalFlood",
    "MessageTooLong",
    "NotAGroup",
    "PostGate",
    "PostResult",
    "RepeatedLine",
    "RoomChatNotFound",
    "SlowMode",
    "_PublishWatch",
    "after",
    "before",
    "can_read",
    "chat_viewer",
    "check_flood",
    "clean_body",
    "clean_title",
    "conversation",
    "conversation_title",
    "conversations",
    "find_retry",
    "flood_limits",
    "is_room_member",
    "latest",
    "leave",
    "mark_mine",
    "mark_read",
    "members",
    "new_client_id",
    "ordinary_line_renderer",
    "other_person",
    "persist",
    "post_gate",
    "post_message",
    "post_room_message",
    "publish",
    "publish_in_trouble",
    "readable_channel",
    "rename",
    "render_line",
    "room_channel_for",
    "room_channel_id",
    "room_latest",
    "start_direct",
    "start_group",
    "stop_hearing_room",
    "stop_hearing_room_chat",
    "unread_in",
    "unread_total",
    "users_by_username",
    "validate_client_id",
    "validate_length",
    "watch_publisher",
]
