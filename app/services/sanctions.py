"""Chat timeouts and bans, and the one question chat asks: may this person talk here now?

In the manner of lila's ChatTimeout: a timeout has a scope (the whole site, or one
room's chat), a reason from a fixed list and a stored expiry, so "is it over?" is a
comparison with a clock the caller may pass in. A ban ends every session at once
(the session token rotates) and refuses sign-in until it expires or is lifted.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from flask_babel import format_timedelta
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Integer,
    String,
    bindparam,
    cast,
    literal,
    null,
    or_,
    select,
    union_all,
)

from app.database import begin_write, utcnow
from app.extensions import db
from app.models import Ban, Channel, ChatTimeout, User
from app.realtime import socket_actions
from app.services import modlog, panic
from app.services.errors import Forbidden, InvalidInput, NotFound

# Shared by reports, timeouts and bans; the key is stored, the label is shown.
REASONS: dict[str, object] = {
    "spam": _l("Spam or flooding"),
    "harassment": _l("Harassment or insults"),
    "hate": _l("Hate speech"),
    "sexual": _l("Sexual content"),
    "violence": _l("Violence or threats"),
    "impersonation": _l("Pretending to be someone else"),
    "other": _l("Something else"),
}
TIMEOUT_MINUTES = (10, 60, 24 * 60)
MAX_TIMEOUT = timedelta(days=7)
MAX_NOTE = 500


@dataclass(frozen=True)
class Restriction:
    """Why someone may not chat now, and until when (None: until further notice)."""

    kind: str  # "ban", "timeout" or "panic"
    reason: str
    until: datetime | None

    def seconds_left(self, now: datetime | None = None) -> int | None:
        """Return the whole seconds until it ends (at least 1), or None when open-ended."""
        if self.until is None:
            return None
        return max(1, int((self.until - (now or utcnow())).total_seconds()))

    def message(self, now: datetime | None = None) -> str:
        """Return the sentence shown to the person, with the time left."""
        left = self.seconds_left(now)
        reason = str(REASONS.get(self.reason, self.reason)) if self.reason else ""
        if self.kind == "panic":
            return str(panic.PanicModeOn.default_message)
        if self.kind == "ban":
            return _("This account is suspended.")
        if left is None:
            return _("You cannot chat right now (%(reason)s).", reason=reason)
        return _(
            "You are timed out of chat for %(left)s more (%(reason)s).",
            left=format_timedelta(timedelta(seconds=left), threshold=1.1),
            reason=reason,
        )


class ChatRestricted(Forbidden):
    """A timeout, ban or panic mode keeps this person from chatting here now."""

    def __init__(self, restriction: Restriction, now: datetime | None = None) -> None:
        super().__init__(restriction.message(now))
        self.restriction = restriction


class Banned(Forbidden):
    """The account is banned and may not sign in."""

    default_message = _l("This account is suspended and cannot log in.")


def check_reason(reason: str) -> str:
    """Return `reason` if it is on the list, else raise InvalidInput."""
    if reason not in REASONS:
        raise InvalidInput(_("Pick a reason from the list."), field="reason")
    return reason


def _user_or_404(user_id: int) -> User:
    """Return the user or raise NotFound."""
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound()
    return user


def room_scope(room_id: int) -> str:
    """Return the timeout scope string for one room's chat."""
    return f"room:{room_id}"


def do_timeout(
    moderator_id: int,
    user_id: int,
    reason: str,
    minutes: int,
    *,
    scope: str = "site",
    note: str = "",
    now: datetime | None = None,
    commit: bool = True,
) -> ChatTimeout:
    """Time `user_id` out of chat in `scope` for `minutes`; logged. Moderators only."""
    if commit:
        begin_write()
    modlog.require_moderator(moderator_id)
    _user_or_404(user_id)
    check_reason(reason)
    if not (scope == "site" or (scope.startswith("room:") and scope[5:].isdigit())):
        raise InvalidInput(field="scope")
    length = timedelta(minutes=int(minutes))
    if not timedelta(minutes=1) <= length <= MAX_TIMEOUT:
        raise InvalidInput(_("A timeout lasts from a minute to a week."), field="minutes")
    now = now or utcnow()
    timeout = ChatTimeout(
        user_id=user_id,
        scope=scope,
        reason=reason,
        note=note[:MAX_NOTE],
        expires_at=now + length,
        created_by_id=moderator_id,
        created_at=now,
    )
    db.session.add(timeout)
    modlog.record(moderator_id, "timeout", "user", user_id, f"{scope} {minutes}m {reason} {note}")
    if commit:
        db.session.commit()
    return timeout


def active_timeout(
    user_id: int, room_id: int | None = None, now: datetime | None = None
) -> ChatTimeout | None:
    """Return the timeout that lasts longest among those in force for this chat, if any."""
    # Without a room, the site scope stands in for the room's, so one statement serves both.
    values = {
        "user_id": user_id,
        "room_scope": room_scope(room_id) if room_id else "site",
        "now": now or utcnow(),
    }
    return db.session.scalar(_active_timeout_statement(), values)


@cache
def _active_timeout_statement():
    """Built once: every room page and chat view asks."""
    return (
        select(ChatTimeout)
        .where(
            ChatTimeout.user_id == bindparam("user_id", type_=Integer),
            ChatTimeout.scope.in_(["site", bindparam("room_scope", type_=String)]),
            ChatTimeout.expires_at > bindparam("now"),
        )
        .order_by(ChatTimeout.expires_at.desc())
        .limit(1)
    )


def do_ban(
    moderator_id: int,
    user_id: int,
    reason: str,
    days: int | None = None,
    *,
    note: str = "",
    now: datetime | None = None,
    commit: bool = True,
) -> Ban:
    """Ban `user_id` (for `days`, or until lifted), end every session; logged. Moderators only.

    The session token rotates in the same transaction, so no cookie of theirs loads a user
    after the commit; a `notice` of kind `banned` then goes to their personal room.
    """
    if commit:
        begin_write()
    modlog.require_moderator(moderator_id)
    user = _user_or_404(user_id)
    check_reason(reason)
    if user_id == moderator_id:
        raise InvalidInput(_("You cannot ban yourself."))
    now = now or utcnow()
    expires = None
    if days is not None:
        if not 1 <= int(days) <= 3650:
            raise InvalidInput(field="days")
        expires = now + timedelta(days=int(days))
    ban = Ban(
        user_id=user_id,
        reason=reason,
        note=note[:MAX_NOTE],
        expires_at=expires,
        created_by_id=moderator_id,
        created_at=now,
    )
    db.session.add(ban)
    user.session_token = secrets.token_hex(16)
    modlog.record(moderator_id, "ban", "user", user_id, f"{days or '∞'}d {reason} {note}")
    # After commit, every web process tells and then closes every socket of the user; the
    # client shows its own text for the kind (a worker or CLI has no request locale).
    socket_actions.queue(socket_actions.disconnect_user(user_id, notice="banned"))
    if commit:
        db.session.commit()
    return ban


def lift_ban(moderator_id: int, user_id: int, note: str = "", now: datetime | None = None) -> int:
    """Lift every ban in force on `user_id`; return how many; logged. Moderators only."""
    begin_write()
    modlog.require_moderator(moderator_id)
    now = now or utcnow()
    bans = db.session.scalars(select(Ban).where(Ban.user_id == user_id, _in_force(now))).all()
    for ban in bans:
        ban.lifted_at = now
    modlog.record(moderator_id, "unban", "user", user_id, note)
    db.session.commit()
    return len(bans)


def _in_force(now: datetime):
    """SQL condition: a ban neither lifted nor expired at `now`."""
    return (Ban.lifted_at.is_(None)) & or_(Ban.expires_at.is_(None), Ban.expires_at > now)


def active_ban(user_id: int, now: datetime | None = None) -> Ban | None:
    """Return a ban in force on `user_id` (the open-ended one first), if any."""
    return db.session.scalar(_active_ban_statement(), {"user_id": user_id, "now": now or utcnow()})


@cache
def _active_ban_statement():
    """Built once: every sign-in, room page and chat view asks."""
    return (
        select(Ban)
        .where(Ban.user_id == bindparam("user_id", type_=Integer), _in_force(bindparam("now")))
        .order_by(Ban.expires_at.is_(None).desc(), Ban.expires_at.desc())
        .limit(1)
    )


def check_may_sign_in(user_id: int, now: datetime | None = None) -> None:
    """Raise Banned when a ban is in force on `user_id`."""
    if active_ban(user_id, now) is not None:
        raise Banned()


def chat_restriction(
    user_id: int, room_id: int | None = None, now: datetime | None = None
) -> Restriction | None:
    """Return why `user_id` may not chat now (in `room_id`'s chat, if given), or None.

    A ban comes first, then the longest timeout, then panic mode: asked in one statement,
    since every room page and chat view asks (three round trips before).
    """
    values = restriction_values(user_id, room_id, now)
    row = db.session.execute(restriction_statement(), values).first()
    return Restriction(row.kind, row.reason or "", row.until) if row is not None else None


def restriction_values(
    user_id: int, room_id: int | None = None, now: datetime | None = None
) -> dict[str, object]:
    """Return the parameters `restriction_statement` takes for `user_id` in `room_id`."""
    now = now or utcnow()
    return {
        "user_id": user_id,
        "room_scope": room_scope(room_id) if room_id else "site",
        "now": now,
        "joined_before": panic.joined_before(now),
    }


@cache
def restriction_statement():
    """The first of ban, timeout and panic that holds for `:user_id`; built once.

    Each part is the one row `active_ban`, `active_timeout` and `panic.too_new` would find.
    Its columns are `kind`, `reason` and `until`; `restriction_values` gives its parameters.
    """
    user_id = bindparam("user_id", type_=Integer)
    ban = _active_ban_statement().with_only_columns(
        literal(1).label("rank"),
        literal("ban").label("kind"),
        Ban.reason.label("reason"),
        Ban.expires_at.label("until"),
    )
    timeout = _active_timeout_statement().with_only_columns(
        literal(2), literal("timeout"), ChatTimeout.reason, ChatTimeout.expires_at
    )
    panicked = select(
        literal(3), literal("panic"), literal(""), cast(null(), Ban.expires_at.type)
    ).where(~panic.may_chat_clause(user_id, bindparam("joined_before")))
    first = union_all(select(ban.subquery()), select(timeout.subquery()), panicked).subquery()
    return select(first.c.kind, first.c.reason, first.c.until).order_by(first.c.rank).limit(1)


def may_chat_clause(
    user_id: int | BindParameter[int],
    room_id_column: ColumnElement[int],
    now: datetime | BindParameter[datetime],
    joined_before: datetime | BindParameter[datetime],
) -> ColumnElement[bool]:
    """SQL condition: no ban, timeout or panic mode keeps `user_id` from chatting now.

    `chat_restriction` in SQL, so a chat post checks it inside its one numbering UPDATE
    instead of spending round trips on it; `room_id_column` is the channel's room (NULL for
    a conversation), whose room-scoped timeouts count too. `user_id`, `now` and
    `joined_before` (`panic.joined_before(now)`) may be values or bound parameters.
    """
    banned = select(Ban.id).where(Ban.user_id == user_id, _in_force(now)).exists()
    room_scope_sql = literal("room:").concat(cast(room_id_column, String))
    timed_out = (
        select(ChatTimeout.id)
        .where(
            ChatTimeout.user_id == user_id,
            ChatTimeout.expires_at > now,
            or_(ChatTimeout.scope == "site", ChatTimeout.scope == room_scope_sql),
        )
        .exists()
    )
    return ~banned & ~timed_out & panic.may_chat_clause(user_id, joined_before)


def check_can_chat(user_id: int, channel_id: int, now: datetime | None = None) -> None:
    """Raise ChatRestricted when `user_id` may not post in `channel_id` now (chat's one line)."""
    room_id = db.session.scalar(select(Channel.room_id).where(Channel.id == channel_id))
    restriction = chat_restriction(user_id, room_id, now)
    if restriction is not None:
        raise ChatRestricted(restriction, now)


def check_can_post(user_id: int, now: datetime | None = None) -> None:
    """Raise when a ban or panic mode keeps `user_id` from posting or commenting now."""
    if active_ban(user_id, now) is not None:
        raise Banned()
    panic.check_account_age(user_id, now)
