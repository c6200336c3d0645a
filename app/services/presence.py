"""Who is connected to which room, shared across web processes through Redis.

Every process keeps the truth about its own sockets in memory and mirrors it into Redis:
one hash per room (`sid → user:server`) and a heartbeat key per process that expires within
seconds. Entries of a process that died (and so never said goodbye) stop counting as soon as
its heartbeat lapses, and are swept the next time anyone asks who is online. When Redis
comes back empty after a restart, the next heartbeat notices and writes this process's
entries again, so nobody has to reconnect.

While Redis is away, presence degrades to what this process sees instead of failing the
page or the socket acknowledgement.

Presence pushes are coalesced per room: a change only triggers one when the room's list may
have changed, and a room's pushes are rate-limited (a small burst, then a couple a second,
each carrying the newest list). No client can make the server flood the others.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field

import redis
from flask import Flask, current_app

from app.extensions import socketio
from app.realtime.broadcast import emit_now
from app.realtime.events import PRESENCE
from app.redis_store import redis_client, redis_key

log = logging.getLogger(__name__)

SERVER_ID = uuid.uuid4().hex[:12]  # this process, for the entries it writes
HEARTBEAT_SECONDS = 2.0
SERVER_TTL_SECONDS = 6  # a crashed process's sockets stop counting after at most this long
PUSH_BURST = 5.0  # presence pushes a room may get at once
PUSH_PER_SECOND = 2.0  # and how fast that allowance refills
SID_TTL_SECONDS = 86400


@dataclass
class _Local:
    """This process's sockets for one Redis deployment (or the embedded mode)."""

    rooms: dict[int, dict[str, int]] = field(default_factory=lambda: defaultdict(dict))
    sids: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    redis_ok: bool = True


_lock = threading.Lock()
# Keyed by deployment (Redis address + key prefix), so apps built side by side in one
# process (the test suite) never see each other's sockets.
_locals: dict[str, _Local] = {}
_heartbeats: set[str] = set()
_buckets: dict[tuple[str, int], tuple[float, float]] = {}  # (tokens, refilled at)
_push_scheduled: set[tuple[str, int]] = set()
# Counts fresh starts (`forget_this_process`): a delayed push scheduled before one is not
# sent after it, to a room that may by then be another room with the same id.
_generation = 0


def forget_this_process() -> None:
    """Drop everything this process remembers about sockets and push budgets.

    For a fresh start in the same interpreter: the test suite builds many apps in one
    process, and a socket left over from one must not be written back into the next.
    """
    global _generation
    with _lock:
        _locals.clear()
        _buckets.clear()
        _push_scheduled.clear()
        _generation += 1


def _target() -> str:
    """Name the deployment the current app's presence belongs to."""
    client = redis_client()
    prefix = current_app.config["REDIS_KEY_PREFIX"]
    if client is None:
        return f"embedded|{prefix}"
    kwargs = client.connection_pool.connection_kwargs
    return f"{kwargs.get('host')}:{kwargs.get('port')}/{kwargs.get('db')}|{prefix}"


def _local(target: str) -> _Local:
    """Return (creating) this process's presence record for `target`."""
    with _lock:
        return _locals.setdefault(target, _Local())


def _server_key(server_id: str) -> str:
    """Return the Redis key that says a server process is alive."""
    return redis_key("presence", "server", server_id)


def _room_key(room_id: int) -> str:
    """Return the Redis hash of the connections watching `room_id`."""
    return redis_key("presence", "room", room_id)


def _sid_key(sid: str) -> str:
    """Return the Redis set of rooms connection `sid` watches."""
    return redis_key("presence", "sid", sid)


def _mark(state: _Local, ok: bool) -> None:
    """Remember whether Redis answered, logging only the transitions."""
    if state.redis_ok != ok:
        if ok:
            log.warning("presence: Redis is back; shared presence resumes")
        else:
            log.warning("presence: Redis is away; presence shows this process only")
    state.redis_ok = ok


def degraded() -> bool:
    """Tell whether presence is limited to this process because Redis did not answer."""
    client = redis_client()
    return client is not None and not _local(_target()).redis_ok


def online_user_ids(room_id: int) -> list[int]:
    """Return the sorted ids of users with a live connection watching the room."""
    client = redis_client()
    state = _local(_target())
    if client is not None:
        try:
            users = _shared_online(client, room_id)
            _mark(state, True)
            return users
        except redis.RedisError:
            _mark(state, False)
    with _lock:
        return sorted(set(state.rooms.get(room_id, {}).values()))


def _shared_online(client: redis.Redis, room_id: int) -> list[int]:
    """Read the room's connections from Redis, counting only processes still alive."""
    entries: dict[str, str] = client.hgetall(_room_key(room_id))
    if not entries:
        return []
    parsed: dict[str, tuple[int, str]] = {}
    for sid, value in entries.items():
        user, _, server = str(value).partition(":")
        if user.isascii() and user.isdigit() and server:
            parsed[sid] = (int(user), server)
    servers = sorted({server for _, server in parsed.values()})
    flags = client.mget([_server_key(s) for s in servers]) if servers else []
    alive = {server for server, flag in zip(servers, flags, strict=True) if flag}
    stale = [sid for sid in entries if sid not in parsed or parsed[sid][1] not in alive]
    if stale:
        client.hdel(_room_key(room_id), *stale)
    return sorted({user for user, server in parsed.values() if server in alive})


def room_went_online(room_id: int, user_id: int, sid: str) -> None:
    """Record that connection `sid` of `user_id` watches the room, and tell the room.

    Subscribing again with the same connection changes nothing and pushes nothing.
    """
    target = _target()
    state = _local(target)
    with _lock:
        known = state.rooms[room_id].get(sid) == user_id
        state.rooms[room_id][sid] = user_id
        state.sids[sid].add(room_id)
    if known:
        return
    client = redis_client()
    if client is not None:
        _start_heartbeat(current_app._get_current_object(), target)
        try:
            pipe = client.pipeline()
            pipe.set(_server_key(SERVER_ID), "1", ex=SERVER_TTL_SECONDS)
            pipe.hset(_room_key(room_id), sid, f"{user_id}:{SERVER_ID}")
            pipe.sadd(_sid_key(sid), room_id)
            pipe.expire(_sid_key(sid), SID_TTL_SECONDS)
            pipe.execute()
            _mark(state, True)
        except redis.RedisError:
            # The heartbeat writes it once Redis answers again.
            _mark(state, False)
    _announce(room_id)


def room_went_offline(sid: str) -> None:
    """Forget connection `sid` everywhere it watched, and tell those rooms."""
    state = _local(_target())
    with _lock:
        room_ids = state.sids.pop(sid, set())
        for room_id in room_ids:
            state.rooms[room_id].pop(sid, None)
            if not state.rooms[room_id]:
                del state.rooms[room_id]
    if not room_ids:
        return
    client = redis_client()
    if client is not None:
        try:
            pipe = client.pipeline()
            for room_id in room_ids:
                pipe.hdel(_room_key(room_id), sid)
            pipe.delete(_sid_key(sid))
            pipe.execute()
            _mark(state, True)
        except redis.RedisError:
            # Left behind in Redis: ignored once re-registration rewrites the truth.
            _mark(state, False)
    for room_id in room_ids:
        _announce(room_id)


def _register_all(client: redis.Redis, state: _Local) -> list[int]:
    """Write every local connection into Redis again; return the rooms that were written."""
    with _lock:
        snapshot = {room: dict(sids) for room, sids in state.rooms.items() if sids}
    pipe = client.pipeline()
    for room_id, sids in snapshot.items():
        pipe.hset(
            _room_key(room_id), mapping={sid: f"{uid}:{SERVER_ID}" for sid, uid in sids.items()}
        )
        for sid in sids:
            pipe.sadd(_sid_key(sid), room_id)
            pipe.expire(_sid_key(sid), SID_TTL_SECONDS)
    pipe.execute()
    return list(snapshot)


def beat(app: Flask, target: str) -> None:
    """One heartbeat: keep this process alive in Redis; re-register after a gap.

    `SET … XX` only refreshes an existing key, so a missing key (Redis restarted, or this
    process could not reach it for longer than the TTL) means Redis lost what we wrote.
    """
    with app.app_context():
        client = redis_client()
        state = _local(target)
        if client is None:
            return
        try:
            refreshed = client.set(_server_key(SERVER_ID), "1", ex=SERVER_TTL_SECONDS, xx=True)
            if refreshed and state.redis_ok:
                return
            rooms = _register_all(client, state)
            client.set(_server_key(SERVER_ID), "1", ex=SERVER_TTL_SECONDS)
            _mark(state, True)
        except redis.RedisError:
            _mark(state, False)
            return
        for room_id in rooms:
            _announce(room_id)


def _start_heartbeat(app: Flask, target: str) -> None:
    """Start this process's heartbeat for `target`, once."""
    with _lock:
        if target in _heartbeats:
            return
        _heartbeats.add(target)

    def run() -> None:
        while True:
            socketio.sleep(HEARTBEAT_SECONDS)
            try:
                beat(app, target)
            except Exception:  # the heartbeat must outlive any one failure
                log.exception("presence heartbeat failed")

    socketio.start_background_task(run)


def _announce(room_id: int) -> None:
    """Push the room's online list now, or once the room's push budget allows.

    Each room has a small bucket of pushes (`PUSH_BURST`, refilled at `PUSH_PER_SECOND`):
    ordinary comings and goings are pushed at once, a flood is coalesced into one delayed
    push that carries the newest list.
    """
    app = current_app._get_current_object()
    key = (_target(), room_id)
    generation = _generation
    with _lock:
        if key in _push_scheduled:
            return  # a push is already on its way and will carry the newest list
        now = time.monotonic()
        tokens, since = _buckets.get(key, (PUSH_BURST, now))
        tokens = min(PUSH_BURST, tokens + (now - since) * PUSH_PER_SECOND)
        if tokens >= 1:
            _buckets[key] = (tokens - 1, now)
            wait = 0.0
        else:
            _buckets[key] = (tokens, now)
            wait = (1 - tokens) / PUSH_PER_SECOND
            _push_scheduled.add(key)
    if wait <= 0:
        _push(room_id)
        return

    def later() -> None:
        socketio.sleep(wait)
        with _lock:
            if generation != _generation:
                return  # this process started afresh meanwhile: the push is not ours to send
            _push_scheduled.discard(key)
            now = time.monotonic()
            # The bucket may be gone if this process's record was dropped meanwhile.
            tokens, since = _buckets.get(key, (PUSH_BURST, now))
            tokens = min(PUSH_BURST, tokens + (now - since) * PUSH_PER_SECOND)
            _buckets[key] = (max(0.0, tokens - 1), now)
        with app.app_context():
            _push(room_id)

    socketio.start_background_task(later)


def _push(room_id: int) -> None:
    """Send the room its current online list."""
    emit_now(PRESENCE, {"room_id": room_id, "online": online_user_ids(room_id)}, f"room:{room_id}")
