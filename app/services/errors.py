"""Domain errors. Services only raise them; app/errors.py maps each kind to an HTTP status."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l


class DomainError(Exception):
    """A rule said no. `field` names the form field it is about, when there is one."""

    default_message = _l("That request could not be completed.")

    def __init__(self, message: str | None = None, *, field: str | None = None) -> None:
        super().__init__(message or str(self.default_message))
        self.message = str(message or self.default_message)
        self.field = field


class InvalidInput(DomainError):
    """The input breaks a rule of form (too long, out of range, not a number)."""

    default_message = _l("Please check what you entered.")


class SessionEnded(DomainError):
    """The session names a user whose session token has changed since: they signed out
    everywhere (or were signed out), and this cookie no longer signs anyone in."""

    default_message = _l("Please log in")


class Forbidden(DomainError):
    """The actor may see the thing but may not do this to it."""

    default_message = _l("You are not allowed to do that.")


class NotFound(DomainError):
    """The thing does not exist, or the actor may not see it."""

    default_message = _l("We could not find that.")


class Conflict(DomainError):
    """The request is valid but the current state refuses it (full, already done)."""

    default_message = _l("That cannot be done right now.")


class TooMany(DomainError):
    """The actor is going too fast."""

    default_message = _l("Slow down a little and try again.")

    def __init__(self, message: str | None = None, *, retry_after: int = 5) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Unavailable(DomainError):
    """Something the request depends on (a sign-in provider, say) is not answering.

    `retry_after`, when known, is the seconds after which asking again may succeed.
    """

    default_message = _l("That is not available right now. Please try again soon.")

    def __init__(self, message: str | None = None, *, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class UsernameTaken(Conflict):
    """Someone already has that username (case does not matter)."""

    default_message = _l("That username is taken.")
