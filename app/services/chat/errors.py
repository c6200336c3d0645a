"""The ways chat refuses a request, each a domain error the web layer maps to a status."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from app.services.errors import Conflict, Forbidden, InvalidInput, NotFound, TooMany


class EmptyMessage(InvalidInput):
    """Nothing is left of the line once it is trimmed."""

    default_message = _l("Write something first.")


class MessageTooLong(InvalidInput):
    """The line is longer than a chat line may be."""

    default_message = _l("Messages can be at most 500 characters.")


class BadClientId(InvalidInput):
    """The client-generated message id is not a plausible id."""

    default_message = _l("That message could not be sent. Reload the page and try again.")


class ClientIdReused(Conflict):
    """The client id was already used for a line in another channel."""

    default_message = _l("That message was already sent somewhere else.")


class Flooding(TooMany):
    """More lines than the flood limit allows in the window."""

    default_message = _l("You are sending messages too fast. Wait a few seconds.")


class RepeatedLine(TooMany):
    """The same line again within the repeat window."""

    default_message = _l("You just said that. Say something new, or wait a moment.")


class SlowMode(TooMany):
    """The room chat is in slow mode and the poster wrote a line within the window."""

    def __init__(self, seconds: int, retry_after: int | None = None) -> None:
        super().__init__(
            ngettext(
                "Slow mode is on: one message every %(num)d second.",
                "Slow mode is on: one message every %(num)d seconds.",
                seconds,
            ),
            retry_after=retry_after or seconds,
        )
        self.seconds = seconds


class ChatBusy(TooMany):
    """The server is saturated and sheds new posts instead of losing them."""

    default_message = _l("Chat is very busy right now. Your message was not sent; try again.")


class ChannelNotFound(NotFound):
    """No such conversation, or the actor is not in it."""

    default_message = _l("We could not find that conversation.")


class RoomChatNotFound(NotFound):
    """No such room, or the actor holds no seat in it."""

    default_message = _l("We could not find that room's chat.")


class NotAGroup(Forbidden):
    """Only group conversations have titles to change."""

    default_message = _l("Only group conversations can be renamed.")
