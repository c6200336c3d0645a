"""Invite links to rooms: an unguessable code per room that the host can replace."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from app.database import utcnow
from app.extensions import db
from app.models.types import UTCDateTime


class RoomInvite(db.Model):
    """One invite code of a room; at most one is unrevoked at a time."""

    __tablename__ = "room_invites"
    __table_args__ = (
        # One live link per room, so two people opening the share panel at once agree on it.
        Index(
            "uq_room_invites_live",
            "room_id",
            unique=True,
            sqlite_where=text("revoked_at IS NULL"),
            postgresql_where=text("revoked_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    # Lookups go by this SHA-256 of the code, so comparison timing says nothing about codes.
    code_digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
