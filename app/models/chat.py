"""One chat model for show rooms, direct conversations and group conversations."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.database import utcnow
from app.extensions import db
from app.models.types import UTCDateTime, value_enum
from app.models.user import User


class ChannelKind(enum.StrEnum):
    """What a channel belongs to."""

    ROOM = "room"
    DIRECT = "direct"
    GROUP = "group"


class MessageKind(enum.StrEnum):
    """A line someone wrote, or a line the system wrote (joined, left, renamed)."""

    USER = "user"
    SYSTEM = "system"


class Channel(db.Model):
    """A stream of messages numbered 1, 2, 3, … by `last_seq`."""

    __tablename__ = "channels"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ChannelKind] = mapped_column(value_enum(ChannelKind, "channel_kind"))
    title: Mapped[str] = mapped_column(String(80), default="")
    # Show-room channels point at their room; one channel per room.
    room_id: Mapped[int | None] = mapped_column(
        ForeignKey("rooms.id", ondelete="CASCADE"), unique=True
    )
    # "lowid:highid" for direct conversations, so each pair has exactly one.
    direct_key: Mapped[str | None] = mapped_column(String(40), unique=True)
    # Bumped by the same UPDATE that hands a new message its sequence number.
    last_seq: Mapped[int] = mapped_column(Integer, default=0)
    last_message_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    members: Mapped[list[ChannelMember]] = relationship(back_populates="channel")


class ChannelMember(db.Model):
    """Membership of a conversation, with how far the member has read."""

    __tablename__ = "channel_members"
    __table_args__ = (UniqueConstraint("channel_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_read_seq: Mapped[int] = mapped_column(Integer, default=0)

    channel: Mapped[Channel] = relationship(back_populates="members")
    user: Mapped[User] = relationship()


class Message(db.Model):
    """A chat line: `seq` orders it in its channel; `client_id` makes a retried post idempotent."""

    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("channel_id", "seq"),
        UniqueConstraint("sender_id", "client_id"),
        Index("ix_messages_channel_id_id", "channel_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"))
    sender_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    kind: Mapped[MessageKind] = mapped_column(
        value_enum(MessageKind, "message_kind"), default=MessageKind.USER
    )
    seq: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    client_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set when a moderator or host removes the line; it stays for the report's context.
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    channel: Mapped[Channel] = relationship()
    sender: Mapped[User | None] = relationship()
