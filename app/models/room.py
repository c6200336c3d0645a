"""Show rooms, their seats, the performances on their stage and the scores they earn."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.database import utcnow
from app.extensions import db
from app.models.types import UTCDateTime, value_enum
from app.models.user import User


class RoomStatus(enum.StrEnum):
    """Where a room is in its life: lobby → live → finished, or cancelled from the lobby."""

    LOBBY = "lobby"
    LIVE = "live"
    FINISHED = "finished"
    CANCELLED = "cancelled"


class RoomMode(enum.StrEnum):
    """Ranked rooms feed the leaderboard; casual rooms only show their averages."""

    RANKED = "ranked"
    CASUAL = "casual"


class RoomVideo(enum.StrEnum):
    """Who is on camera: nobody, the performer on stage, or everyone in a small gallery."""

    OFF = "off"
    STAGE = "stage"
    EVERYONE = "everyone"


class Phase(enum.StrEnum):
    """A performance is on air, then being scored, then closed."""

    ON_AIR = "on_air"
    SCORING = "scoring"
    CLOSED = "closed"


class Room(db.Model):
    """A show room. `version` is bumped on every stage change, for clients to re-fetch."""

    __tablename__ = "rooms"
    __table_args__ = (
        CheckConstraint("capacity BETWEEN 2 AND 50", name="capacity_range"),
        CheckConstraint("seats_taken >= 0 AND seats_taken <= capacity", name="seats_within"),
        CheckConstraint("turn_minutes BETWEEN 1 AND 10", name="turn_minutes_range"),
        CheckConstraint("scoring_seconds BETWEEN 10 AND 300", name="scoring_seconds_range"),
        Index("ix_rooms_status_created", "status", "created_at"),
        Index("ix_rooms_status_deadline", "status", "deadline_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(80))
    description: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(20), index=True)
    mode: Mapped[RoomMode] = mapped_column(value_enum(RoomMode, "room_mode"))
    capacity: Mapped[int] = mapped_column(Integer)
    video: Mapped[RoomVideo] = mapped_column(
        value_enum(RoomVideo, "room_video"),
        default=RoomVideo.STAGE,
        server_default=RoomVideo.STAGE.value,
    )
    # Kept in step with active members by the same statement that admits a joiner, so a
    # single conditional UPDATE decides whether a seat is free.
    seats_taken: Mapped[int] = mapped_column(Integer, default=0)
    host_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[RoomStatus] = mapped_column(
        value_enum(RoomStatus, "room_status"), default=RoomStatus.LOBBY
    )
    current_performance_id: Mapped[int | None] = mapped_column(
        ForeignKey("performances.id", use_alter=True, ondelete="SET NULL")
    )
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Show rules, second edition: every phase of a live show has a deadline on this row
    # (turn, scoring window, or the nomination window after scoring closed). Any process
    # may apply an overdue one; see app.services.deadlines.
    turn_minutes: Mapped[int] = mapped_column(Integer, default=3, server_default="3")
    scoring_seconds: Mapped[int] = mapped_column(Integer, default=60, server_default="60")
    deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set while the host has paused the clock: the seconds that were left.
    paused_seconds_left: Mapped[int | None] = mapped_column(Integer)
    # The last stage change; a live show idle for an hour finishes by itself.
    last_activity_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    chat_members_only: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Slow mode: seconds one person waits between two lines in this room's chat (0 = off).
    chat_slow_seconds: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The show's Janus VideoRoom while it is live on a media server (docs/video.md): a random
    # numeric id, its room secret (to destroy it) and its pin (handed to members only).
    janus_room_id: Mapped[int | None] = mapped_column(BigInteger)
    janus_secret: Mapped[str | None] = mapped_column(String(64))
    janus_pin: Mapped[str | None] = mapped_column(String(64))

    host: Mapped[User] = relationship(foreign_keys=[host_id])
    current_performance: Mapped[Performance | None] = relationship(
        foreign_keys=[current_performance_id], post_update=True
    )
    members: Mapped[list[RoomMember]] = relationship(
        back_populates="room", order_by="RoomMember.joined_at, RoomMember.id"
    )

    @property
    def is_ranked(self) -> bool:
        """Tell whether averages in this room count toward rankings."""
        return self.mode == RoomMode.RANKED


class RoomMember(db.Model):
    """A seat in a room. `left_at` is set when the member leaves (or is removed)."""

    __tablename__ = "room_members"
    __table_args__ = (UniqueConstraint("room_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    has_performed: Mapped[bool] = mapped_column(default=False)
    # The last time this member loaded the room over HTTP: presence for people without a
    # socket (no JavaScript), next to the sockets app.services.presence knows about.
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    room: Mapped[Room] = relationship(back_populates="members")
    user: Mapped[User] = relationship()

    @property
    def is_present(self) -> bool:
        """Tell whether the member still holds their seat."""
        return self.left_at is None


class Performance(db.Model):
    """One turn on stage: on air, then scored by the others, then closed with an average."""

    __tablename__ = "performances"
    __table_args__ = (
        CheckConstraint("claps >= 0 AND mirror_balls >= 0", name="reactions_non_negative"),
        Index("ix_performances_ranking", "counts_toward_ranking", "closed_at"),
        Index("ix_performances_performer_closed", "performer_id", "closed_at"),
        UniqueConstraint("room_id", "turn"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"))
    performer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    turn: Mapped[int] = mapped_column(Integer)  # 1 for the opening act, then 2, 3, …
    phase: Mapped[Phase] = mapped_column(
        value_enum(Phase, "performance_phase"), default=Phase.ON_AIR
    )
    # Denormalised from the room at close time, so leaderboards never join rooms.
    category: Mapped[str] = mapped_column(String(20))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claps: Mapped[int] = mapped_column(Integer, default=0)
    mirror_balls: Mapped[int] = mapped_column(Integer, default=0)
    average: Mapped[Decimal | None] = mapped_column(Numeric(4, 2))
    counts_toward_ranking: Mapped[bool] = mapped_column(default=False)
    next_performer_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )

    room: Mapped[Room] = relationship(foreign_keys=[room_id])
    performer: Mapped[User] = relationship(foreign_keys=[performer_id])
    next_performer: Mapped[User | None] = relationship(foreign_keys=[next_performer_id])
    scores: Mapped[list[Score]] = relationship(back_populates="performance")


class Score(db.Model):
    """One member's 1–10 score of a performance; one per scorer, enforced by the database."""

    __tablename__ = "scores"
    __table_args__ = (
        UniqueConstraint("performance_id", "scorer_id"),
        CheckConstraint("value BETWEEN 1 AND 10", name="value_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    performance_id: Mapped[int] = mapped_column(ForeignKey("performances.id", ondelete="CASCADE"))
    scorer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    value: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    performance: Mapped[Performance] = relationship(back_populates="scores")
    scorer: Mapped[User] = relationship()
