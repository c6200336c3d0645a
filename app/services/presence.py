"""Who is connected to which room, shared across web processes through Redis."""

from __future__ import annotations

import threading
from collections import defaultdict

from app.realtime.broadcast import emit_now
from app.realtime.events import PRESENCE
from app.redis_store import redis_client, redis_key

# Embedded mode has one process, so a dict guarded by a lock is the whole truth.
_lock = threading.Lock()
_local_rooms: dict[int, dict[str, int]] = defaultdict(dict)
_local_sids: dict[str, set[int]] = defaultdict(set)


def online_user_ids(room_id: int) -> list[int]:
    """Return the sorted ids of users with a live connection watching the room."""
    client = redis_client()
    if client is None:
        with _lock:
            return sorted(set(_local_rooms.get(room_id, {}).values()))
    return sorted({int(v) for v in client.hvals(redis_key("presence", "room", room_id))})


def room_went_online(room_id: int, user_id: int, sid: str) -> None:
    """Record that connection `sid` of `user_id` watches the room, and tell the room."""
    client = redis_client()
    if client is None:
        with _lock:
            _local_rooms[room_id][sid] = user_id
            _local_sids[sid].add(room_id)
    else:
        pipe = client.pipeline()
        pipe.hset(redis_key("presence", "room", room_id), sid, user_id)
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
