"""Forms for profile settings. Rules live in app.services.profiles; these only carry fields."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from app.forms import Form


class ProfileForm(Form):
    """Display name and bio."""

    display_name = StringField(
        _l("Display name"),
        validators=[InputRequired(), Length(min=1, max=40)],
        description=_l("How you appear on stage. Any language, up to 40 characters."),
        render_kw={"autocomplete": "nickname"},
    )
    bio = TextAreaField(
        _l("Bio"),
        validators=[Optional(), Length(max=160)],
        description=_l("One line about you, up to 160 characters."),
        render_kw={"maxlength": 160, "rows": 2},
    )
    timezone = SelectField(
        _l("Time zone"),
        description=_l("Your streaks and daily activity follow this calendar."),
        validate_choice=False,  # the service checks the zone and says why
    )


class BioForm(Form):
    """The bio alone, edited in place on the profile page."""

    bio = StringField(
        _l("Bio"),
        validators=[Optional(), Length(max=160)],
        render_kw={"maxlength": 160},
    )


class PasswordForm(Form):
    """Change the password (the current one is needed when there is one)."""

    current_password = PasswordField(
        _l("Current password"),
        validators=[Optional(), Length(max=200)],
        render_kw={"autocomplete": "current-password"},
    )
    new_password = PasswordField(
        _l("New password"),
        validators=[InputRequired(), Length(min=8, max=200)],
        description=_l("At least 8 characters."),
        render_kw={"autocomplete": "new-password"},
    )


class AvatarForm(Form):
    """A new profile picture."""

    avatar = FileField(
        _l("Profile picture"),
        description=_l("JPEG, PNG, WebP or HEIC, up to 5 MB. We crop it to a square."),
        render_kw={"accept": "image/jpeg,image/png,image/webp,image/heic,image/heif,.heic,.heif"},
    )
