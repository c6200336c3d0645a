"""Forms of the rooms area. Rules live in app.services.rooms and app.services.show."""

from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l
from wtforms import (
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from app.forms import Form
from app.services.rooms import (
    CAPACITY_MAX,
    CAPACITY_MIN,
    DESCRIPTION_MAX,
    SCORING_SECONDS,
    TITLE_MAX,
    TURN_MINUTES,
)


class RoomForm(Form):
    """Open a new room."""

    title = StringField(
        _l("Title"),
        validators=[InputRequired(), Length(min=1, max=TITLE_MAX)],
        description=_l("Up to 80 characters, e.g. “Friday night karaoke”."),
        render_kw={"maxlength": TITLE_MAX, "autocomplete": "off"},
    )
    description = TextAreaField(
        _l("Description"),
        validators=[Optional(), Length(max=DESCRIPTION_MAX)],
        description=_l("Optional. Tell people what kind of show this is (up to 1000 characters)."),
        render_kw={"maxlength": DESCRIPTION_MAX, "rows": 4},
    )
    category = SelectField(_l("Category"), validators=[InputRequired()])
    mode = RadioField(
        _l("Mode"),
        choices=[
            SelectChoice("ranked", _l("Ranked — averages count on the leaderboard")),
            SelectChoice("casual", _l("Casual — just for fun, nothing is ranked")),
        ],
        default="ranked",
        validators=[InputRequired()],
    )
    # Optional so clients that predate video still open rooms: the default is the stage.
    video = RadioField(
        _l("Video"),
        choices=[
            SelectChoice("stage", _l("Stage — the performer is on camera")),
            SelectChoice("everyone", _l("Everyone — small camera tiles for up to 6 people")),
            SelectChoice("off", _l("Off — no cameras")),
        ],
        default="stage",
        validators=[Optional()],
    )
    capacity = IntegerField(
        _l("Seats"),
        default=10,
        validators=[
            InputRequired(),
            NumberRange(min=CAPACITY_MIN, max=CAPACITY_MAX),
        ],
        description=_l("From 2 to 50 people, host included."),
        render_kw={"min": CAPACITY_MIN, "max": CAPACITY_MAX, "inputmode": "numeric"},
    )

    turn_minutes = IntegerField(
        _l("Turn length (minutes)"),
        default=TURN_MINUTES[2],
        validators=[Optional(), NumberRange(min=TURN_MINUTES[0], max=TURN_MINUTES[1])],
        description=_l("1 to 10 minutes. The turn ends by itself when time is up."),
        render_kw={"min": TURN_MINUTES[0], "max": TURN_MINUTES[1], "inputmode": "numeric"},
    )
    scoring_seconds = IntegerField(
        _l("Scoring time (seconds)"),
        default=SCORING_SECONDS[2],
        validators=[Optional(), NumberRange(min=SCORING_SECONDS[0], max=SCORING_SECONDS[1])],
        description=_l("10 to 300 seconds. Scoring closes with the scores that are in."),
        render_kw={"min": SCORING_SECONDS[0], "max": SCORING_SECONDS[1], "inputmode": "numeric"},
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.category.choices = [
            SelectChoice(code, _l(label)) for code, label in current_app.config["ROOM_CATEGORIES"]
        ]
