"""Video signalling: the one kind of message clients send over Socket.IO (DESIGN §5).

Offers, answers and ICE candidates are ephemeral, so they are relayed, never stored. On
every message the sender comes from the session and both ends are checked against the
database (app.services.video.check_signal); ids in the payload only name the target. A
message goes to the target's own sockets (`user:<id>`), or for the `ready`/`want`
announcements to the room's sockets, which were membership-checked when they subscribed.
Each socket is rate-limited and oversize payloads are dropped (docs/video.md).
"""

from __future__ import annotations

import json
import threading
import time

from flask import current_app, request
from flask_login import current_user

from app.extensions import socketio
from app.realtime.events import RTC_ANSWER, RTC_ICE, RTC_OFFER, RTC_READY, RTC_STOP, RTC_WANT
from app.services import video as video_service
from app.services.errors import DomainError

STOP_REASONS = ("ended", "full", "left", "failed")
WINDOW_SECONDS = 10.0

# Per-socket message counts for the current window: sid → (window start, count). A socket
# lives in one process, so process memory is the right place; old windows are pruned.
_windows: dict[str, tuple[float, int]] = {}
_windows_lock = threading.Lock()


def _allow_rate(sid: str) -> bool:
    """Count one message for this socket; False once it passes RTC_MESSAGES_PER_10S."""
    limit = current_app.config["RTC_MESSAGES_PER_10S"]
    now = time.monotonic()
    with _windows_lock:
        if len(_windows) > 10_000:
            for key in [k for k, (start, _) in _windows.items() if now - start > WINDOW_SECONDS]:
                del _windows[key]
        start, count = _windows.get(sid, (now, 0))
        if now - start > WINDOW_SECONDS:
            start, count = now, 0
        _windows[sid] = (start, count + 1)
        return count < limit


def _positive_int(value: object) -> int | None:
    """Return `value` as a positive int id, or None (bools and strings are not ids)."""
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    return None


def _size(data: object) -> int:
    """Return the payload's size in bytes as JSON (what the wire carried, near enough)."""
    try:
        return len(json.dumps(data, separators=(",", ":")).encode())
    except (TypeError, ValueError):
        return 1 << 30


def _admit(kind: str, data: object, *, needs_target: bool) -> tuple[dict, int, int | None] | dict:
    """Check one message; return (payload, room id, target id) or an error ack."""
    if not current_user.is_authenticated:
        return {"ok": False, "error": "unauthorized"}
    if _size(data) > current_app.config["RTC_MAX_PAYLOAD_BYTES"]:
        return {"ok": False, "error": "too_large"}
    if not _allow_rate(request.sid):
        return {"ok": False, "error": "rate_limited"}
    if not isinstance(data, dict):
        return {"ok": False, "error": "bad_request"}
    room_id = _positive_int(data.get("room_id"))
    target_id = _positive_int(data.get("to"))
    if room_id is None or (needs_target and target_id is None):
        return {"ok": False, "error": "bad_request"}
    if data.get("to") is not None and target_id is None:
        return {"ok": False, "error": "bad_request"}
    try:
        video_service.check_signal(room_id, current_user.id, target_id, kind)
    except DomainError:
        # One answer for every refusal: a prober learns nothing about rooms or people.
        return {"ok": False, "error": "not_found"}
    return data, room_id, target_id


def _relay(spec, payload: dict, room_id: int, target_id: int | None) -> dict:
    """Send a checked payload to the target's sockets, or to the room's other sockets."""
    spec.check(payload)
    if target_id is not None:
        socketio.emit(spec.name, payload, to=f"user:{target_id}")
    else:
        socketio.emit(spec.name, payload, to=f"room:{room_id}", skip_sid=request.sid)
    return {"ok": True}


@socketio.on(RTC_READY.name)
def on_ready(data=None) -> dict:
    """A sender's camera is on: tell the room, so viewers ask for the stream."""
    admitted = _admit("ready", data, needs_target=False)
    if isinstance(admitted, dict):
        return admitted
    _, room_id, _ = admitted
    return _relay(RTC_READY, {"room_id": room_id, "from": current_user.id}, room_id, None)


@socketio.on(RTC_WANT.name)
def on_want(data=None) -> dict:
    """A viewer asks for a stream: from one sender (`to`), or from whoever is sending."""
    admitted = _admit("want", data, needs_target=False)
    if isinstance(admitted, dict):
        return admitted
    _, room_id, target_id = admitted
    return _relay(RTC_WANT, {"room_id": room_id, "from": current_user.id}, room_id, target_id)


def _sdp(kind: str, spec, data=None) -> dict:
    """Relay an offer or an answer (`sdp`, a string) to its target."""
    admitted = _admit(kind, data, needs_target=True)
    if isinstance(admitted, dict):
        return admitted
    payload, room_id, target_id = admitted
    sdp = payload.get("sdp")
    if not isinstance(sdp, str) or not sdp:
        return {"ok": False, "error": "bad_request"}
    relayed = {"room_id": room_id, "from": current_user.id, "sdp": sdp}
    return _relay(spec, relayed, room_id, target_id)


@socketio.on(RTC_OFFER.name)
def on_offer(data=None) -> dict:
    """A sender offers its stream to one viewer."""
    return _sdp("offer", RTC_OFFER, data)


@socketio.on(RTC_ANSWER.name)
def on_answer(data=None) -> dict:
    """A viewer answers a sender's offer."""
    return _sdp("answer", RTC_ANSWER, data)


@socketio.on(RTC_ICE.name)
def on_ice(data=None) -> dict:
    """Relay one ICE candidate (or null at the end) for the sending or receiving side."""
    admitted = _admit("ice", data, needs_target=True)
    if isinstance(admitted, dict):
        return admitted
    payload, room_id, target_id = admitted
    role, candidate = payload.get("role"), payload.get("candidate")
    if role not in ("send", "recv") or not (candidate is None or isinstance(candidate, dict)):
        return {"ok": False, "error": "bad_request"}
    if candidate is not None:
        # Only the fields RTCIceCandidateInit has, so nothing else rides along.
        candidate = {
            k: candidate[k]
            for k in ("candidate", "sdpMid", "sdpMLineIndex", "usernameFragment")
            if k in candidate and isinstance(candidate[k], str | int | type(None))
        }
    relayed = {"room_id": room_id, "from": current_user.id, "role": role, "candidate": candidate}
    return _relay(RTC_ICE, relayed, room_id, target_id)


@socketio.on(RTC_STOP.name)
def on_stop(data=None) -> dict:
    """A sender stops (turn over, too many viewers, left) or a viewer hangs up."""
    admitted = _admit("stop", data, needs_target=False)
    if isinstance(admitted, dict):
        return admitted
    payload, room_id, target_id = admitted
    reason = payload.get("reason") if payload.get("reason") in STOP_REASONS else "ended"
    relayed = {"room_id": room_id, "from": current_user.id, "reason": reason}
    return _relay(RTC_STOP, relayed, room_id, target_id)
