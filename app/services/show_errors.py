"""The show's refusals, each a domain error with its HTTP status (app.services.errors)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.services.errors import Conflict, Forbidden, InvalidInput


class ShowNotLive(Conflict):
    """The room is not live (still in the lobby, or already over)."""

    default_message = _l("The show is not live.")


class AlreadyStarted(Conflict):
    """The host tried to start a show that has started."""

    default_message = _l("The show has already started.")


class NotEnoughMembers(Conflict):
    """A show needs at least two people."""

    default_message = _l("A show needs at least 2 members.")


class NotPerformerOrHost(Forbidden):
    """Only the performer on stage or the host may do this."""

    default_message = _l("Only the performer or the host can do that.")


class WrongPhase(Conflict):
    """The performance is not in the phase this action needs."""

    default_message = _l("You can't do that right now.")


class CannotScoreYourself(Forbidden):
    """Performers never score their own performance."""

    default_message = _l("You cannot score your own performance.")


class CannotReactToYourself(Forbidden):
    """Performers never clap for their own performance."""

    default_message = _l("You can't react to your own performance.")


class AlreadyScored(Conflict):
    """The member has scored this performance already."""

    default_message = _l("You have already scored this performance.")


class InvalidScore(InvalidInput):
    """A score is a whole number from 1 to 10."""

    default_message = _l("Scores are whole numbers from 1 to 10.")


class InvalidNominee(InvalidInput):
    """The nominee is not a member of this room."""

    default_message = _l("Pick someone from this room.")


class NomineeNotEligible(Conflict):
    """The nominee has performed already, or has left."""

    default_message = _l("That person cannot go on stage next.")


class NobodyOnAir(Conflict):
    """Reactions need someone on air."""

    default_message = _l("Nobody is on air right now.")


class InvalidReaction(InvalidInput):
    """Only claps and mirror balls exist."""

    default_message = _l("That reaction does not exist.")
