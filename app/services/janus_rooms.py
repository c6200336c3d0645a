"""The media-server topology: one Janus VideoRoom per live show, and per-user tokens for it.

With JANUS_URL set, a show that goes live gets a VideoRoom with a random numeric id, an
unguessable room secret and pin (stored on the room row), created through the Janus admin
API after the go-live commit and destroyed after the show ends. Only Encore can create
rooms (the VideoRoom `admin_key`), and Janus runs with token auth: a member or spectator
gets a short-lived token that Encore added through the admin API, plus the room's pin.
Someone who only knows the room id has neither and Janus refuses them (docs/video.md).

Holding credentials is not leave to be on camera: each person publishes under a feed id
derived from the room secret (`publisher_id`), viewers subscribe only to the feeds of the
people the server says may send, and Encore kicks every other publisher when the turn
changes and whenever it mints credentials.

Janus being down never fails a show: the calls time out fast, are logged, and the stage
says video is unavailable. Nothing here holds media; Janus relays it and records nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.extensions import db
from app.models import Room, RoomStatus, RoomVideo
from app.services.errors import Forbidden, Unavailable

log = logging.getLogger(__name__)

PLUGIN = "janus.plugin.videoroom"
TOKEN_PREFIX = "encore"  # noqa: S105  (a label, not a secret)
# Janus room ids are unsigned 64-bit; staying under 2**53 keeps them exact in JavaScript.
ROOM_ID_LIMIT = 2**53 - 1
EVERYONE_PUBLISHERS = 6
_AFTER_COMMIT = "encore_janus_after_commit"
_KICKS = "encore_janus_kicks"  # VideoRoom id → (secret, allowed feeds), this transaction


class JanusUnavailable(Unavailable):
    """Janus did not answer, or refused what Encore asked."""

    default_message = _l("Video is unavailable right now. The show goes on without it.")


class NotWatching(Forbidden):
    """Only members and spectators of a live show with video get its media-server token."""

    default_message = _l("Only people in this live show can watch its video.")


@dataclass(frozen=True)
class Credentials:
    """What one browser needs to join the show's VideoRoom."""

    server: str
    room: int
    pin: str
    token: str
    expires: int
    publishers: int
    publisher_id: int = 0  # the feed id this person publishes under, if they may send
    feeds: dict[int, int] | None = None  # who may send now → the feed id to subscribe to

    def as_json(self) -> dict:
        """Return the credentials as a JSON-ready dict."""
        return {
            "server": self.server,
            "room": self.room,
            "pin": self.pin,
            "token": self.token,
            "expires": self.expires,
            "publishers": self.publishers,
            "publisher_id": self.publisher_id,
            "feeds": {str(user): feed for user, feed in (self.feeds or {}).items()},
        }


def publisher_id(secret: str, user_id: int) -> int:
    """Return the VideoRoom feed id `user_id` publishes under in the room with `secret`.

    An HMAC of the room's secret, so nobody can work out another person's feed id before
    the server names it, and under 2**53 so it stays exact in JavaScript.
    """
    digest = hmac.new(secret.encode(), f"publisher:{user_id}".encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big") % (ROOM_ID_LIMIT - 1) + 1


def enabled() -> bool:
    """Tell whether video goes through Janus (JANUS_URL set) rather than peer to peer."""
    config = current_app.config
    return bool(config.get("JANUS_URL") and config.get("JANUS_ADMIN_URL"))


# --- talking to Janus ---------------------------------------------------------------------


def _admin(request: dict) -> dict:
    """POST one admin-API request and return Janus's answer, or raise JanusUnavailable."""
    config = current_app.config
    url = config["JANUS_ADMIN_URL"]
    if not url.startswith(("http://", "https://")):
        raise JanusUnavailable()  # never file: or another scheme from a typo'd setting
    body = dict(
        request, transaction=secrets.token_hex(8), admin_secret=config["JANUS_ADMIN_SECRET"]
    )
    http_request = urllib.request.Request(  # noqa: S310  (scheme checked above)
        url,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        # Under eventlet/gevent the socket is patched, so this wait yields to other requests.
        timeout = config["JANUS_TIMEOUT_SECONDS"]
        with urllib.request.urlopen(http_request, timeout=timeout) as r:  # noqa: S310
            answer = json.load(r)
    except (OSError, ValueError) as error:
        log.warning("janus admin %s failed: %s", request.get("janus"), error)
        raise JanusUnavailable() from error
    if answer.get("janus") != "success":
        log.warning("janus admin %s refused: %s", request.get("janus"), answer.get("error"))
        raise JanusUnavailable()
    return answer


def _videoroom(request: dict) -> dict:
    """Send one synchronous VideoRoom request through the admin API and return its answer."""
    body = dict(request, admin_key=current_app.config["JANUS_ROOM_ADMIN_KEY"])
    answer = _admin({"janus": "message_plugin", "plugin": PLUGIN, "request": body})
    response = answer.get("response") or {}
    if response.get("error_code"):
        log.warning("janus videoroom %s refused: %s", request.get("request"), response)
        raise JanusUnavailable()
    return response


def _create_room(room_id: int, janus_id: int, secret: str, pin: str, video: RoomVideo) -> None:
    """Create the show's VideoRoom: private, not saved to disk, for 1 or up to 6 senders."""
    everyone = video == RoomVideo.EVERYONE
    _videoroom(
        {
            "request": "create",
            "room": janus_id,
            "description": f"Encore room {room_id}",
            "secret": secret,
            "pin": pin,
            "is_private": True,
            "permanent": False,
            "publishers": EVERYONE_PUBLISHERS if everyone else 1,
            # Gallery tiles are small; the stage is one good picture.
            "bitrate": 256_000 if everyone else 1_024_000,
            "fir_freq": 10,
            "notify_joining": False,
        }
    )


def _room_exists(janus_id: int) -> bool:
    """Tell whether Janus has the VideoRoom (it forgets every room when it restarts)."""
    return bool(_videoroom({"request": "exists", "room": janus_id}).get("exists"))


def _destroy_room(janus_id: int, secret: str) -> None:
    """Destroy the VideoRoom; everyone in it is disconnected by Janus."""
    if _room_exists(janus_id):
        _videoroom({"request": "destroy", "room": janus_id, "secret": secret, "permanent": False})


def _token_room(token: str) -> tuple[int, int] | None:
    """Return (janus room id, expiry) of a token Encore minted, or None for other tokens."""
    parts = token.split(".")
    if len(parts) != 5 or parts[0] != TOKEN_PREFIX:
        return None
    try:
        return int(parts[1]), int(parts[3])
    except ValueError:
        return None


def remove_tokens(janus_id: int | None = None, now: float | None = None) -> int:
    """Remove Encore's tokens that expired (and, with `janus_id`, all of that room's).

    Tokens carry their room and expiry in their own text, so Encore stores none of them.
    """
    now = time.time() if now is None else now
    tokens = _admin({"janus": "list_tokens"}).get("data", {}).get("tokens", [])
    removed = 0
    for entry in tokens:
        parsed = _token_room(entry.get("token", ""))
        if parsed is None:
            continue
        room, expiry = parsed
        if expiry <= now or room == janus_id:
            _admin({"janus": "remove_token", "token": entry["token"]})
            removed += 1
    return removed


def _kick_intruders(janus_id: int, secret: str, allowed: set[int], stale: int = 0) -> int:
    """Kick every publisher whose feed is not in `allowed` (and whoever holds the `stale`
    feed id); return how many were kicked.

    Participants who only listen (every viewer joins to hear about feeds) are left alone.
    """
    answer = _videoroom({"request": "listparticipants", "room": janus_id})
    kicked = 0
    for participant in answer.get("participants") or []:
        feed = participant.get("id")
        if feed == stale or (participant.get("publisher") and feed not in allowed):
            try:
                _videoroom({"request": "kick", "room": janus_id, "secret": secret, "id": feed})
                kicked += 1
            except JanusUnavailable:
                pass  # already gone between the list and the kick
    return kicked


def _allowed_feeds(room: Room) -> dict[int, int]:
    """Return who may send in `room` now → the feed id they publish under."""
    from app.services.video import allowed_senders  # video imports nothing from here

    secret = room.janus_secret or ""
    return {user: publisher_id(secret, user) for user in allowed_senders(room)}


# --- the show's hooks ----------------------------------------------------------------------


def _after_commit(action: Callable[[], None]) -> None:
    """Run `action` once the current transaction commits (dropped if it rolls back)."""
    db.session.info.setdefault(_AFTER_COMMIT, []).append(action)


@event.listens_for(Session, "after_commit")
def _run_after_commit(session: Session) -> None:
    session.info.pop(_KICKS, None)  # the queued kicks hold their own reference
    for action in session.info.pop(_AFTER_COMMIT, None) or ():
        try:
            action()
        except JanusUnavailable:
            pass  # logged where it failed; the show goes on and the stage says why
        except Exception:  # a media-server hiccup must never fail a committed show step
            log.exception("janus action after commit failed")


@event.listens_for(Session, "after_rollback")
def _drop_after_commit(session: Session) -> None:
    session.info.pop(_AFTER_COMMIT, None)
    session.info.pop(_KICKS, None)


def open_after_commit(room: Room) -> None:
    """In the go-live transaction: give the show a VideoRoom id, secret and pin, and create
    the VideoRoom in Janus once the show is committed live. Nothing happens without Janus."""
    if not enabled() or room.video == RoomVideo.OFF:
        return
    room.janus_room_id = secrets.randbelow(ROOM_ID_LIMIT - 1) + 1
    room.janus_secret = secrets.token_urlsafe(32)
    room.janus_pin = secrets.token_urlsafe(24)
    args = (room.id, room.janus_room_id, room.janus_secret, room.janus_pin, room.video)
    _after_commit(lambda: _create_room(*args))


def kick_after_commit(room: Room) -> None:
    """In a transaction that changes who may send (a turn goes on air or ends): once it
    commits, kick every publisher in the VideoRoom who may not send any more.

    One kick per VideoRoom and transaction, with the line-up of the last call: a step that
    both ends a turn and puts the next performer on air asks twice, and Janus hears once.
    """
    if not enabled() or room.janus_room_id is None:
        return
    kicks: dict[int, tuple[str, set[int]]] = db.session.info.setdefault(_KICKS, {})
    janus_id = room.janus_room_id
    queued = janus_id in kicks
    # Read now: once the transaction has committed, this session runs no more SQL.
    kicks[janus_id] = (room.janus_secret or "", set(_allowed_feeds(room).values()))
    if not queued:
        _after_commit(lambda: _kick_intruders(janus_id, *kicks[janus_id]))


def close_after_commit(room: Room) -> None:
    """In the transaction that ends the show: forget its VideoRoom, then destroy it in Janus
    and remove its tokens once the end is committed."""
    if room.janus_room_id is None:
        return
    janus_id, secret = room.janus_room_id, room.janus_secret or ""
    room.janus_room_id = room.janus_secret = room.janus_pin = None
    if not enabled():
        return

    def close() -> None:
        _destroy_room(janus_id, secret)
        remove_tokens(janus_id)

    _after_commit(close)


# --- credentials -----------------------------------------------------------------------------


def credentials(room_id: int, user_id: int) -> Credentials:
    """Mint a short-lived Janus token for a member or spectator of the live show.

    Before answering, publishers who may not send are kicked, and so is whoever holds this
    person's own feed id (a session of theirs that is going, or someone who took it), so
    the feed id in the answer is free to join with. Raises NotWatching for anyone else,
    JanusUnavailable when Janus does not answer. A VideoRoom Janus forgot (it restarted)
    is created again from the row.
    """
    from app.services.video import in_room  # video imports nothing from here; avoid a cycle

    room = db.session.get(Room, room_id)
    if (
        room is None
        or room.status != RoomStatus.LIVE
        or room.video == RoomVideo.OFF
        or room.janus_room_id is None
        or not in_room(user_id, room_id)
    ):
        raise NotWatching()
    config = current_app.config
    if not _room_exists(room.janus_room_id):
        _create_room(room.id, room.janus_room_id, room.janus_secret, room.janus_pin, room.video)
    remove_tokens()  # expired ones, so Janus's list stays short
    feeds = _allowed_feeds(room)
    mine = publisher_id(room.janus_secret or "", user_id)
    _kick_intruders(room.janus_room_id, room.janus_secret or "", set(feeds.values()), mine)
    expires = int(time.time()) + int(config["JANUS_TOKEN_TTL_SECONDS"])
    token = f"{TOKEN_PREFIX}.{room.janus_room_id}.{user_id}.{expires}.{secrets.token_urlsafe(24)}"
    _admin({"janus": "add_token", "token": token, "plugins": [PLUGIN]})
    return Credentials(
        server=config["JANUS_URL"],
        room=room.janus_room_id,
        pin=room.janus_pin or "",
        token=token,
        expires=expires,
        publishers=EVERYONE_PUBLISHERS if room.video == RoomVideo.EVERYONE else 1,
        publisher_id=mine if user_id in feeds else 0,
        feeds=feeds,
    )
