"""Send Socket.IO events, and only after the transaction that caused them commits."""

from __future__ import annotations

import logging

from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.extensions import db
from app.realtime.events import EventSpec
from app.realtime.redis_queue import Audience, Emit

log = logging.getLogger(__name__)

_PENDING = "encore_pending_events"


def broadcast(spec: EventSpec, payload: dict, to: Audience) -> None:
    """Queue `spec` for the Socket.IO room (or rooms) `to`; it is sent when the session commits."""
    spec.check(payload)
    db.session.info.setdefault(_PENDING, []).append((spec.name, payload, to))


def emit_now(spec: EventSpec, payload: dict, to: Audience) -> None:
    """Send an event that no transaction carries (presence, leaderboard refreshed)."""
    spec.check(payload)
    _emit([(spec.name, payload, to)])


def _emit(events: list[Emit]) -> None:
    """Hand events to Socket.IO (or the write-only Redis emitter in a worker), in order.

    With the Redis queue they leave in one round trip however many there are (a batch of
    notifications, a post and its `inbox` push): app/realtime/redis_queue.py.
    """
    emitter = current_app.extensions["encore_emit"]
    try:
        emitter(events)
    except Exception:  # a lost push must never fail a committed request
        log.exception("could not emit %s", ", ".join(f"{name} to {to}" for name, _, to in events))


@event.listens_for(Session, "after_commit")
def _send_pending(session: Session) -> None:
    """Send what the committed transaction queued, in the order it was queued."""
    pending = session.info.pop(_PENDING, None)
    if pending:
        _emit(pending)


@event.listens_for(Session, "after_rollback")
def _drop_pending(session: Session) -> None:
    """Forget the events of a transaction that did not happen."""
    session.info.pop(_PENDING, None)


def pending_events() -> list[Emit]:
    """Return the events queued on the current session and not yet sent (for tests)."""
    return list(db.session.info.get(_PENDING, ()))
