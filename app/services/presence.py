"""Who is connected to which room, shared across web processes through Redis.

With Redis every entry names the server process holding the connection, and each process
keeps a short-lived heartbeat key alive. Entries of a process that died (and so never
said goodbye) are ignored and swept the next time anyone asks who is online.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections import defaultdict

from app.extensions import socketio
from app.realtime.broadcast import emit_now
from app.realtime.events import PRESENCE
from app.redis_store import redis_client, redis_key

log = logging.getLogger(__name__)

# Embedded mode has one process, so a dict guarded by a lock is the whole truth.
_lock = threading.Lock()
_local_rooms: dict[int, dict[str, int]] = defaultdict(dict)
_local_sids: dict[str, set[int]] = defaultdict(set)

SERVER_ID = uuid.uuid4().hex[:12]  # this process, for the entries it writes
HEARTBEAT_SECONDS = 20
SERVER_TTL_SECONDS = 60
_heartbeats: set[str] = set()


def _server_key(server_id: str) -> str:
    """Return the Redis key that says a server process is alive."""
    return redis_key("presence", "server", server_id)


def _keep_alive(client) -> None:
    """Mark this process alive now, and keep a background heartbeat running."""
    key = _server_key(SERVER_ID)
    client.set(key, "1", ex=SERVER_TTL_SECONDS)
    with _lock:
        if key in _heartbeats:
            return
        _heartbeats.add(key)

    def beat() -> None:
        while True:
            socketio.sleep(HEARTBEAT_SECONDS)
            try:
                client.set(key, "1", ex=SERVER_TTL_SECONDS)
            except Exception:  # Redis away for a moment: the next beat tries again
                log.warning("presence heartbeat failed", exc_info=True)

    socketio.start_background_task(beat)


def online_user_ids(room_id: int) -> list[int]:
    """Return the sorted ids of users with a live connection watching the room."""
    client = redis_client()
    if client is None:
        with _lock:
            return sorted(set(_local_rooms.get(room_id, {}).values()))
    room_key = redis_key("presence", "room", room_id)
    entries: dict[str, str] = client.hgetall(room_key)
    if not entries:
        return []
    parsed: dict[str, tuple[int, str]] = {}
    for sid, value in entries.items():
        user, _, server = str(value).partition(":")
        if user.isdigit() and server:
            parsed[sid] = (int(user), server)
    servers = sorted({server for _, server in parsed.values()})
    alive = {
        server
        for server, flag in zip(
            servers, client.mget([_server_key(s) for s in servers]) if servers else [], strict=True
        )
        if flag
    }
    stale = [sid for sid in entries if sid not in parsed or parsed[sid][1] not in alive]
    if stale:
        client.hdel(room_key, *stale)
    return sorted({user for sid, (user, server) in parsed.items() if server in alive})


def room_went_online(room_id: int, user_id: int, sid: str) -> None:
    """Record that connection `sid` of `user_id` watches the room, and tell the room."""
    client = redis_client()
    if client is None:
        with _lock:
            _local_rooms[room_id][sid] = user_id
            _local_sids[sid].add(room_id)
    else:
        _keep_alive(client)
        pipe = client.pipeline()
        pipe.hset(redis_key("presence", "room", room_id), sid, f"{user_id}:{SERVER_ID}")
        pipe.sadd(redis_key("presence", "sid", sid), room_id)
        pipe.expire(redis_key("presence", "sid", sid), 86400)
        pipe.execute()
    _announce(room_id)


def room_went_offline(sid: str) -> None:
    """Forget connection `sid` everywhere it watched, and tell those rooms."""
    client = redis_client()
    if client is None:
        with _lock:
            room_ids = _local_sids.pop(sid, set())
            for room_id in room_ids:
                _local_rooms[room_id].pop(sid, None)
    else:
        sid_key = redis_key("presence", "sid", sid)
        room_ids = {int(r) for r in client.smembers(sid_key)}
        pipe = client.pipeline()
        for room_id in room_ids:
            pipe.hdel(redis_key("presence", "room", room_id), sid)
        pipe.delete(sid_key)
        pipe.execute()
    for room_id in room_ids:
        _announce(room_id)


def _announce(room_id: int) -> None:
    """Send the room its current online list."""
    emit_now(PRESENCE, {"room_id": room_id, "online": online_user_ids(room_id)}, f"room:{room_id}")
