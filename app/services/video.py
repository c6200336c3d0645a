"""Live video: who may signal to whom in a live room, what the stage camera shows now,
and the ICE servers (with per-user TURN credentials) a browser connects through.

Nothing here stores media; the server only checks and relays signalling (docs/video.md).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import Performance, Phase, Room, RoomMember, RoomStatus, RoomVideo
from app.services import presence
from app.services.errors import Forbidden, NotFound
from app.services.rooms import can_watch

SIGNAL_KINDS = ("ready", "want", "offer", "answer", "ice", "stop")


class NoVideoHere(NotFound):
    """The room is not live with video on, or the viewer may not see it."""

    default_message = _l("There is no live video in this room right now.")


class NotOnCamera(Forbidden):
    """Only the performer on air (or, in an everyone room, any member) sends video."""

    default_message = _l("Only the performer on air can send video now.")


@dataclass(frozen=True)
class VideoState:
    """What the stage camera shows now, for one viewer (the /video JSON)."""

    room_id: int
    mode: str
    live: bool
    performer_id: int | None  # on air now, else None
    member_ids: list[int]
    names: dict[int, str]
    senders: list[int] = field(default_factory=list)  # who may turn a camera on now
    # Logged-in people watching live without a seat (show rule 10): they receive only.
    spectator_ids: list[int] = field(default_factory=list)
    spectator: bool = False  # the viewer watches without a seat

    def as_json(self) -> dict:
        """Return the state as a JSON-ready dict (keys are strings for the browser)."""
        return {
            "room_id": self.room_id,
            "mode": self.mode,
            "live": self.live,
            "performer_id": self.performer_id,
            "member_ids": self.member_ids,
            "names": {str(k): v for k, v in self.names.items()},
            "senders": self.senders,
            "spectator_ids": self.spectator_ids,
            "spectator": self.spectator,
        }


def _on_air_performer(room: Room) -> int | None:
    """Return the performer on air in a live room, or None between turns."""
    if room.status != RoomStatus.LIVE or room.current_performance_id is None:
        return None
    performance = db.session.get(Performance, room.current_performance_id)
    if performance is None or performance.phase != Phase.ON_AIR:
        return None
    return performance.performer_id


def video_state(room_id: int, viewer_id: int) -> VideoState:
    """Return the camera state of a room the viewer watches, or raise NoVideoHere."""
    room = db.session.get(Room, room_id)
    if room is None or not can_watch(viewer_id, room_id):
        raise NoVideoHere()
    members = list(
        db.session.scalars(
            select(RoomMember)
            .options(joinedload(RoomMember.user))
            .where(RoomMember.room_id == room_id, RoomMember.left_at.is_(None))
            .order_by(RoomMember.joined_at, RoomMember.id)
        )
    )
    member_ids = [m.user_id for m in members]
    live = room.status == RoomStatus.LIVE and room.video != RoomVideo.OFF
    performer_id = _on_air_performer(room) if live else None
    senders = _senders(room, member_ids, performer_id) if live else []
    seated = set(member_ids)
    spectators = [u for u in presence.online_user_ids(room_id) if u not in seated] if live else []
    return VideoState(
        room_id=room.id,
        mode=room.video.value,
        live=live,
        performer_id=performer_id,
        member_ids=member_ids,
        names={m.user_id: m.user.display_name for m in members},
        senders=list(senders),
        spectator_ids=spectators,
        spectator=viewer_id not in seated,
    )


def _senders(room: Room, member_ids: list[int], performer_id: int | None) -> list[int]:
    """Who may be on camera now: every seated member in an everyone room, else the seated
    performer on air (someone watching without a seat never sends)."""
    if room.video == RoomVideo.EVERYONE:
        return list(member_ids)
    return [performer_id] if performer_id is not None and performer_id in member_ids else []


def allowed_senders(room: Room) -> list[int]:
    """Return who may send video in `room` now (empty unless it is live with video on).

    Reads the session's current state, so inside a show transaction it already sees the
    turn that is about to be committed (the media server's kicks are computed from it).
    """
    if room.status != RoomStatus.LIVE or room.video == RoomVideo.OFF:
        return []
    member_ids = list(
        db.session.scalars(
            select(RoomMember.user_id).where(
                RoomMember.room_id == room.id, RoomMember.left_at.is_(None)
            )
        )
    )
    return _senders(room, member_ids, _on_air_performer(room))


def _seated(user_id: int, room_id: int) -> bool:
    """Tell whether `user_id` holds a seat in the room now."""
    seat = db.session.scalar(
        select(RoomMember.id).where(
            RoomMember.room_id == room_id,
            RoomMember.user_id == user_id,
            RoomMember.left_at.is_(None),
        )
    )
    return seat is not None


def in_room(user_id: int, room_id: int) -> bool:
    """Tell whether `user_id` is in the room now: seated, or watching it with a subscribed
    socket (show rule 10's spectators receive the stage too)."""
    return _seated(user_id, room_id) or user_id in presence.online_user_ids(room_id)


def check_signal(room_id: int, sender_id: int, target_id: int | None, kind: str) -> None:
    """Allow one signalling message, or raise: both ends must watch this live video room.

    `sender_id` comes from the session; `target_id` is who the message is for (None for the
    `ready`/`want` announcements that go to the room). Offers and `ready` come only from
    someone allowed on camera now: a seated member, never a spectator.
    """
    if kind not in SIGNAL_KINDS:
        raise NoVideoHere()
    room = db.session.get(Room, room_id)
    if room is None or room.status != RoomStatus.LIVE or room.video == RoomVideo.OFF:
        raise NoVideoHere()
    if not in_room(sender_id, room_id):
        raise NoVideoHere()
    if target_id is not None and (target_id == sender_id or not in_room(target_id, room_id)):
        raise NoVideoHere()
    if kind in ("ready", "offer"):
        # Spectators receive only; in a stage room only the performer on air sends.
        if not _seated(sender_id, room_id):
            raise NotOnCamera()
        if room.video == RoomVideo.STAGE and _on_air_performer(room) != sender_id:
            raise NotOnCamera()


def ice_servers(user_id: int) -> list[dict]:
    """Return the RTCIceServer list for this user: ICE_SERVERS plus minted TURN credentials.

    TURN credentials follow coturn's `use-auth-secret` scheme: the username is
    "<expiry unix time>:<user id>" and the password is base64(HMAC-SHA1(secret, username)),
    so they stop working after TURN_TTL_SECONDS without the server storing anything.
    """
    config = current_app.config
    try:
        servers = json.loads(config.get("ICE_SERVERS") or "[]")
    except ValueError:
        current_app.logger.warning("ICE_SERVERS is not valid JSON; using none")
        servers = []
    if not isinstance(servers, list):
        servers = []
    secret, urls = config.get("TURN_SECRET"), config.get("TURN_URLS") or ""
    if secret and urls.strip():
        username, credential = turn_credentials(secret, user_id, config["TURN_TTL_SECONDS"])
        servers.append(
            {
                "urls": [u.strip() for u in urls.split(",") if u.strip()],
                "username": username,
                "credential": credential,
            }
        )
    return servers


def turn_credentials(
    secret: str, user_id: int, ttl_seconds: int, now: float | None = None
) -> tuple[str, str]:
    """Return (username, password) for coturn's REST API scheme, valid for `ttl_seconds`."""
    expiry = int(now if now is not None else time.time()) + int(ttl_seconds)
    username = f"{expiry}:{user_id}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode()
