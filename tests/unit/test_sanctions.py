"""Timeouts and bans end at their stored expiry; panic mode and the word filter."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from app.database import utcnow
from app.errors import status_for
from app.extensions import db
from app.models import User
from app.services import modlog, panic, sanctions, word_filter
from app.services.errors import InvalidInput, NotFound
from tests.support import factories


@pytest.fixture
def ctx(app):
    """A request context (domain errors translate their messages) with a moderator and a user."""
    # English, the language these messages are asserted in (Korean is the default).
    with app.test_request_context(headers={"Accept-Language": "en"}):
        moderator = factories.user("moderator")
        person = factories.user("mina")
        modlog.set_moderator("moderator")
        yield moderator, person


def test_a_timeout_ends_at_its_expiry(ctx):
    moderator, person = ctx
    start = utcnow()
    sanctions.do_timeout(moderator, person, "spam", 10, note="flooding", now=start)
    at_nine = sanctions.chat_restriction(person, now=start + timedelta(minutes=9))
    assert at_nine is not None and at_nine.kind == "timeout"
    assert at_nine.seconds_left(start + timedelta(minutes=9)) == 60
    assert "60 seconds" in at_nine.message(start + timedelta(minutes=9))
    assert sanctions.chat_restriction(person, now=start + timedelta(minutes=10)) is None


def test_a_room_timeout_holds_only_in_that_room(ctx, app):
    moderator, person = ctx
    room_id = factories.room(moderator, member_ids=[person])
    other_room = factories.room(moderator)
    start = utcnow()
    sanctions.do_timeout(
        moderator, person, "harassment", 60, scope=sanctions.room_scope(room_id), now=start
    )
    later = start + timedelta(minutes=5)
    assert sanctions.chat_restriction(person, room_id, now=later) is not None
    assert sanctions.chat_restriction(person, other_room, now=later) is None
    assert sanctions.chat_restriction(person, None, now=later) is None


def test_the_restriction_fragment_shows_the_time_left(ctx, app):
    from flask import render_template

    moderator, person = ctx
    start = utcnow()
    sanctions.do_timeout(moderator, person, "spam", 10, now=start)
    restriction = sanctions.chat_restriction(person, now=start)
    html = render_template("safety/_chat_restriction.html", restriction=restriction)
    assert "timed out of chat for 10 minutes more" in html
    assert f'data-until="{restriction.until:%Y-%m-%dT%H:%M:%S}Z"' in html  # UTC, whole seconds
    assert render_template("safety/_chat_restriction.html", restriction=None).strip() == ""


def test_check_can_chat_raises_with_the_time_left(ctx):
    from app.models import Channel, ChannelKind

    moderator, person = ctx
    channel = Channel(kind=ChannelKind.GROUP, title="x")
    db.session.add(channel)
    db.session.commit()
    start = utcnow()
    sanctions.do_timeout(moderator, person, "spam", 60, now=start)
    with pytest.raises(sanctions.ChatRestricted) as error:
        sanctions.check_can_chat(person, channel.id, now=start + timedelta(minutes=30))
    assert status_for(error.value) == 403
    assert error.value.restriction.until == start + timedelta(minutes=60)
    sanctions.check_can_chat(person, channel.id, now=start + timedelta(minutes=61))


def test_timeouts_and_bans_are_validated_and_moderator_only(ctx):
    moderator, person = ctx
    with pytest.raises(InvalidInput):
        sanctions.do_timeout(moderator, person, "because", 10)
    with pytest.raises(InvalidInput):
        sanctions.do_timeout(moderator, person, "spam", 0)
    with pytest.raises(InvalidInput):
        sanctions.do_timeout(moderator, person, "spam", 10, scope="galaxy")
    with pytest.raises(NotFound):
        sanctions.do_timeout(person, moderator, "spam", 10)
    with pytest.raises(NotFound):
        sanctions.do_ban(person, moderator, "spam")
    with pytest.raises(InvalidInput):
        sanctions.do_ban(moderator, moderator, "spam")


def test_a_ban_ends_at_its_expiry_and_can_be_lifted(ctx):
    moderator, person = ctx
    start = utcnow()
    sanctions.do_ban(moderator, person, "hate", 2, now=start)
    with pytest.raises(sanctions.Banned):
        sanctions.check_may_sign_in(person, now=start + timedelta(days=1))
    sanctions.check_may_sign_in(person, now=start + timedelta(days=2))
    restriction = sanctions.chat_restriction(person, now=start + timedelta(hours=1))
    assert restriction is not None and restriction.kind == "ban"

    sanctions.do_ban(moderator, person, "hate", None, now=start)
    with pytest.raises(sanctions.Banned):
        sanctions.check_may_sign_in(person, now=start + timedelta(days=3650))
    assert sanctions.lift_ban(moderator, person) == 2
    sanctions.check_may_sign_in(person)


def test_a_ban_comes_before_a_timeout_and_panic_mode_in_one_answer(ctx):
    moderator, person = ctx
    start = utcnow()
    panic.set_panic(moderator, True)
    sanctions.do_timeout(moderator, person, "spam", 30, now=start)
    sanctions.do_ban(moderator, person, "hate", 2, now=start)
    sanctions.do_ban(moderator, person, "violence", None, now=start)
    later = start + timedelta(minutes=1)
    restriction = sanctions.chat_restriction(person, now=later)
    assert (restriction.kind, restriction.reason, restriction.until) == ("ban", "violence", None)
    sanctions.lift_ban(moderator, person)
    restriction = sanctions.chat_restriction(person, now=later)
    assert (restriction.kind, restriction.reason) == ("timeout", "spam")
    assert restriction.until == start + timedelta(minutes=30)
    after_timeout = start + timedelta(minutes=31)
    assert sanctions.chat_restriction(person, now=after_timeout).kind == "panic"
    panic.set_panic(moderator, False)
    assert sanctions.chat_restriction(person, now=after_timeout) is None


def test_panic_mode_holds_back_only_new_accounts(ctx):
    moderator, person = ctx
    veteran = factories.user("veteran")
    db.session.execute(
        update(User).where(User.id == veteran).values(created_at=utcnow() - timedelta(days=2))
    )
    db.session.commit()
    assert not panic.is_on()
    sanctions.check_can_post(person)
    panic.set_panic(moderator, True)
    assert panic.is_on()
    with pytest.raises(panic.PanicModeOn):
        sanctions.check_can_post(person)
    assert sanctions.chat_restriction(person).kind == "panic"
    sanctions.check_can_post(veteran)
    assert sanctions.chat_restriction(veteran) is None
    # A day after signing up, the same account may talk again.
    assert not panic.too_new(person, now=utcnow() + timedelta(days=1, minutes=1))
    with pytest.raises(NotFound):
        panic.set_panic(person, False)
    panic.set_panic(moderator, False)
    sanctions.check_can_post(person)
    actions = [entry.action for entry in modlog.recent()]
    assert actions[:2] == ["panic_off", "panic_on"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hello there", "hello there"),
        ("what the fuck", "what the ●●●●"),
        ("FUCK this", "●●●● this"),
        ("scunthorpe is a town", "scunthorpe is a town"),
        ("이 씨발 진짜", "이 ●● 진짜"),
        ("씨 발 놈아", "●● 놈아"),
        ("병신아", "●●아"),
        ("반가워요", "반가워요"),
    ],
)
def test_the_word_filter_masks_listed_words(app, text, expected):
    with app.test_request_context():
        assert word_filter.clean(text) == expected


def test_the_word_filter_can_refuse_and_take_a_site_list(tmp_path):
    from tests.conftest import make_app

    site_list = tmp_path / "words.txt"
    site_list.write_text("# site words\nbanana\n", encoding="utf-8")
    app = make_app(WORD_FILTER_MODE="refuse", WORD_FILTER_FILE=str(site_list))
    with app.test_request_context():
        assert word_filter.clean("apples") == "apples"
        with pytest.raises(word_filter.WordRefused):
            word_filter.clean("a Banana split")
        with pytest.raises(word_filter.WordRefused):
            word_filter.clean("시발")
        assert word_filter.has_listed_word("shit happens")
