"""The counts every signed-in page shows or checks, read in one statement per request.

A full page needs the unread conversation lines (the Chats tab), the unread notifications
(the bell) and whether a report outcome waits to be told (a notice). Each used to be its
own query, and every page paid for all three. `counts()` reads them together once and
keeps them for the rest of the request; a commit during the request forgets them, so a
view that marks something read and then renders shows the new count.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from flask import g, has_request_context
from sqlalchemy import Integer, bindparam, event, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from app.extensions import db
from app.services.chat.unread import unread_total_query
from app.services.notifications.store import unread_count_query
from app.services.reports import untold_outcomes_query

_G_KEY = "encore_badges"


@dataclass(frozen=True)
class Badges:
    """What the navigation shows for one viewer."""

    chat_unread: int = 0
    notifications_unread: int = 0
    outcomes_waiting: bool = False


def counts(user_id: int) -> Badges:
    """Return `user_id`'s badge counts, read once per request (zeros when the database
    cannot say: a badge must never break a page, least of all an error page)."""
    memo = g.get(_G_KEY)
    if memo is not None and memo[0] == user_id:
        return memo[1]
    try:
        chat, notifications, outcomes = db.session.execute(_statement(), {"user_id": user_id}).one()
    except SQLAlchemyError:
        db.session.rollback()
        return Badges()
    badges = Badges(max(0, int(chat or 0)), int(notifications or 0), bool(outcomes))
    setattr(g, _G_KEY, (user_id, badges))
    return badges


@cache
def _statement():
    """The one SELECT of all three, built once: constructing it cost more than running it."""
    user_id = bindparam("user_id", type_=Integer)
    return select(
        unread_total_query(user_id).scalar_subquery(),
        unread_count_query(user_id).scalar_subquery(),
        untold_outcomes_query(user_id),
    )


@event.listens_for(Session, "after_commit")
def _forget_after_commit(_session: Session) -> None:
    # A commit may have changed a count (lines read, notifications opened, outcomes told).
    if has_request_context():
        g.pop(_G_KEY, None)
