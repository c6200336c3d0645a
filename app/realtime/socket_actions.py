"""Act on open sockets from a service: disconnect them, or take them out of a room.

The Socket.IO counterpart of `broadcast`: a service says what should happen to the
sockets of a person or a session, and every web process does it to the sockets it holds.

    from app.realtime import socket_actions

    socket_actions.queue(socket_actions.leave_room(user_id, f"room:{room_id}"))
    socket_actions.queue(socket_actions.disconnect_user(user_id, notice="banned"))
    socket_actions.send(socket_actions.sign_out(session_id))

- `queue(action)` holds the action on the database session and sends it when the
  transaction commits (a rollback drops it), after the events `broadcast` queued.
- `send(action)` sends it now, for effects no transaction carries (the sign-out notice,
  which must wait until the browser has the response that clears its cookie).

Sending publishes the action on the Redis channel `<prefix>socket-actions`; each web
process listens there (`start_listener`, started by `init_realtime`) and acts on its own
sockets, so a socket on any process is reached. The sending process hears its own
publish too, so there is one path. Without Redis (the embedded mode) the one process acts
at once. Worker processes only publish.

An action names its sockets by the Socket.IO room they joined on connect: `user:<id>` or
`session:<sid>` (app/realtime/handlers.py). For each such socket it first emits the
optional `notice` event to that socket alone, then either leaves `leave` or disconnects
(`disconnect=True`). Doing both on the process that holds the socket keeps the order:
the notice always arrives before the disconnect.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass

import redis
from flask import Flask, current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.extensions import db, socketio
from app.realtime import broadcast as _broadcast  # noqa: F401  (its listener runs first: events before actions)
from app.realtime.events import NOTICE
from app.realtime.redis_queue import subscribed_messages

log = logging.getLogger(__name__)

_PENDING = "encore_pending_socket_actions"
CHANNEL = "socket-actions"


@dataclass(frozen=True)
class SocketAction:
    """What to do to every socket in the Socket.IO room `target`.

    `notice` is the `kind` of a `notice` event sent to each socket first (None: none);
    then the socket leaves the room `leave`, or is disconnected when `disconnect` is set.
    Sockets that are also in any of the Socket.IO rooms in `keep` are left alone.
    """

    target: str
    leave: str | None = None
    disconnect: bool = False
    notice: str | None = None
    # The members who keep a members-only chat (`user:<id>`), or the browser session that
    # changed its password (`session:<sid>`).
    keep: tuple[str, ...] = ()


def leave_room(user_id: int, socket_room: str) -> SocketAction:
    """Make every socket of `user_id` stop hearing `socket_room` (left a room or a chat)."""
    return SocketAction(target=f"user:{user_id}", leave=socket_room)


def leave_room_except(socket_room: str, keep_user_ids: list[int]) -> SocketAction:
    """Make every socket in `socket_room` stop hearing it, except the sockets of `keep_user_ids`
    (a room chat that became members-only: the spectators go, the members stay)."""
    keep = tuple(f"user:{user_id}" for user_id in sorted(keep_user_ids))
    return SocketAction(target=socket_room, leave=socket_room, keep=keep)


def disconnect_user(
    user_id: int, notice: str | None = None, *, keep_session: str | None = None
) -> SocketAction:
    """Close every socket of `user_id`, after telling it `notice` (banned, password changed).

    With `keep_session`, the sockets of that browser session stay: a password change ends
    the other sessions only.
    """
    keep = (f"session:{keep_session}",) if keep_session else ()
    return SocketAction(target=f"user:{user_id}", disconnect=True, notice=notice, keep=keep)


def sign_out(session_id: str) -> SocketAction:
    """Tell every socket of one browser session that it has ended (the page goes home).

    The sockets are not closed here: the page closes its own on this notice, and a socket
    of an ended session can no longer subscribe to anything new.
    """
    return SocketAction(target=f"session:{session_id}", notice="signed_out")


def queue(action: SocketAction) -> None:
    """Send `action` when the current transaction commits (nothing happens on rollback)."""
    db.session.info.setdefault(_PENDING, []).append(action)


def send(action: SocketAction) -> None:
    """Send `action` to every web process now."""
    app = current_app._get_current_object()
    client = app.extensions.get("encore_redis")
    if client is not None and app.config.get("SOCKETIO_USE_QUEUE"):
        try:
            client.publish(_channel(app), json.dumps(asdict(action)))
            return
        except redis.RedisError:
            log.exception("could not publish a socket action; acting on this process only")
    perform(action)


def pending_actions() -> list[SocketAction]:
    """Return the actions queued on the current session and not yet sent (for tests)."""
    return list(db.session.info.get(_PENDING, ()))


@event.listens_for(Session, "after_commit")
def _send_pending(session: Session) -> None:
    """Send what the committed transaction queued, in order."""
    for action in session.info.pop(_PENDING, None) or ():
        try:
            send(action)
        except Exception:  # a lost socket action must never fail a committed request
            log.exception("could not send socket action %s", action)


@event.listens_for(Session, "after_rollback")
def _drop_pending(session: Session) -> None:
    """Forget the actions of a transaction that did not happen."""
    session.info.pop(_PENDING, None)


def perform(action: SocketAction) -> int:
    """Do `action` to the sockets this process holds; return how many it reached."""
    server = getattr(socketio, "server", None)
    if server is None:
        return 0
    reached = 0
    kept: set[str] = set()
    for socket_room in action.keep:
        kept.update(sid for sid, _eio in server.manager.get_participants("/", socket_room))
    for sid, _eio_sid in list(server.manager.get_participants("/", action.target)):
        if sid in kept:
            continue
        if action.notice is not None:
            payload = {"kind": action.notice, "message": ""}
            NOTICE.check(payload)
            server.emit(NOTICE.name, payload, to=sid, namespace="/", ignore_queue=True)
        if action.disconnect:
            server.disconnect(sid, namespace="/", ignore_queue=True)
        elif action.leave is not None:
            server.leave_room(sid, action.leave, namespace="/")
        reached += 1
    return reached


def _channel(app: Flask) -> str:
    """The Redis channel of this deployment's socket actions."""
    return app.config["REDIS_KEY_PREFIX"] + CHANNEL


def _decode(raw: str) -> SocketAction | None:
    """Turn a published message back into an action (None for anything malformed)."""
    try:
        fields = json.loads(raw)
        return SocketAction(
            target=str(fields["target"]),
            leave=fields.get("leave"),
            disconnect=bool(fields.get("disconnect")),
            notice=fields.get("notice"),
            keep=tuple(str(room) for room in fields.get("keep") or ()),
        )
    except (ValueError, KeyError, TypeError):
        return None


def _listen(url: str, channel: str) -> None:
    """Act on every published action, for as long as the process lives (reconnecting)."""
    messages = subscribed_messages(
        lambda: redis.Redis.from_url(url, decode_responses=True),
        channel,
        pause=1.0,
        on_loss=lambda exc: log.warning("socket actions: lost the Redis subscription; retrying"),
    )
    for message in messages:
        action = _decode(message.get("data") or "")
        if action is None:
            continue
        try:
            perform(action)
        except Exception:  # one action that fails must not stop the listener
            log.exception("socket actions: could not perform %s", action)


def start_listener(app: Flask) -> None:
    """Start this web process's listener (only when sockets travel over Redis)."""
    if app.config.get("SOCKETIO_USE_QUEUE") and app.config.get("REDIS_URL"):
        socketio.start_background_task(_listen, app.config["REDIS_URL"], _channel(app))
