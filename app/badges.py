"""The counts every signed-in page shows or checks, read in one statement per request.

A full page needs the unread conversation lines (the Chats tab), the unread notifications
(the bell) and whether a report outcome waits to be told (a notice). Each used to be its
own query, and every page paid for all three. `counts()` reads them together once and
keeps them for the rest of the request; a commit during the request forgets them, so a
view that marks something read and then renders shows the new count.

On a full page the signed-in user's own statement reads them too (app/sessions.py), so
the page pays one round trip to the database for both, and `counts()` only recalls them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from flask import g, has_request_context, request
from sqlalchemy import Integer, bindparam, event, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from app.extensions import db
from app.responses import is_htmx
from app.services.chat.unread import unread_total_query
from app.services.notifications.store import unread_count_query
from app.services.reports import untold_outcomes_query

_G_KEY = "encore_badges"

# Requests that never show a page's navigation: pictures, health checks, static files.
_QUIET_ENDPOINTS = frozenset({None, "static", "profiles.avatar", "main.healthz"})


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
    return remember(user_id, (chat, notifications, outcomes))


def remember(user_id: int, values: tuple) -> Badges:
    """Keep the three counts read for `user_id` (as `columns()` returns them) for this
    request, and return them."""
    chat, notifications, outcomes = values
    badges = Badges(max(0, int(chat or 0)), int(notifications or 0), bool(outcomes))
    setattr(g, _G_KEY, (user_id, badges))
    return badges


def page_shows_badges() -> bool:
    """Tell whether this request is for a full page, whose navigation shows the badges."""
    return request.method == "GET" and request.endpoint not in _QUIET_ENDPOINTS and not is_htmx()


def columns(user_id) -> tuple:
    """The three counts as columns of a SELECT, for the user `user_id` (a bind parameter)."""
    return (
        unread_total_query(user_id).scalar_subquery(),
        unread_count_query(user_id).scalar_subquery(),
        untold_outcomes_query(user_id),
    )


@cache
def _statement():
    """The one SELECT of all three, built once: constructing it cost more than running it."""
    return select(*columns(bindparam("user_id", type_=Integer)))


@event.listens_for(Session, "after_commit")
def _forget_after_commit(_session: Session) -> None:
    # A commit may have changed a count (lines read, notifications opened, outcomes told).
    if has_request_context():
        g.pop(_G_KEY, None)
