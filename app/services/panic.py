"""Panic mode: a site switch under which only accounts older than a day may chat or post."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import BindParameter, ColumnElement, select

from app.database import begin_write, utcnow
from app.extensions import db
from app.models import SiteSetting, User
from app.services import modlog
from app.services.errors import Forbidden

KEY = "panic_mode"
MIN_ACCOUNT_AGE = timedelta(days=1)


class PanicModeOn(Forbidden):
    """The site is in panic mode and this account is too new to chat or post."""

    default_message = _l("New accounts cannot chat or post for a while. Please try again tomorrow.")


def is_on() -> bool:
    """Tell whether panic mode is on (read from the database, so every process agrees)."""
    return db.session.scalar(select(SiteSetting.value).where(SiteSetting.key == KEY)) == "on"


def set_panic(moderator_id: int, on: bool, note: str = "") -> None:
    """Switch panic mode on or off and log who did it; commits."""
    begin_write()
    modlog.require_moderator(moderator_id)
    setting = db.session.get(SiteSetting, KEY)
    if setting is None:
        setting = SiteSetting(key=KEY)
        db.session.add(setting)
    setting.value = "on" if on else "off"
    setting.updated_by_id = moderator_id
    setting.updated_at = utcnow()
    modlog.record(moderator_id, "panic_on" if on else "panic_off", "site", None, note)
    db.session.commit()


def too_new(user_id: int, now: datetime | None = None) -> bool:
    """Tell whether panic mode is on and `user_id` signed up less than a day before `now`."""
    if not is_on():
        return False
    created = db.session.scalar(select(User.created_at).where(User.id == user_id))
    return created is None or created > joined_before(now or utcnow())


def joined_before(now: datetime) -> datetime:
    """The newest sign-up that may still chat and post at `now` while panic mode is on."""
    return now - MIN_ACCOUNT_AGE


def may_chat_clause(
    user_id: int | BindParameter[int], joined_before_value: datetime | BindParameter[datetime]
) -> ColumnElement[bool]:
    """SQL condition: panic mode is off, or `user_id` joined by `joined_before_value` (see
    `joined_before`); both may be bound parameters of a statement built once."""
    on = select(SiteSetting.key).where(SiteSetting.key == KEY, SiteSetting.value == "on").exists()
    old_enough = (
        select(User.id).where(User.id == user_id, User.created_at <= joined_before_value).exists()
    )
    return ~on | old_enough


def check_account_age(user_id: int, now: datetime | None = None) -> None:
    """Raise PanicModeOn when panic mode keeps `user_id` from chatting or posting."""
    if too_new(user_id, now):
        raise PanicModeOn()
