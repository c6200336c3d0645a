"""Forms for local accounts. Rules live in app.services.accounts; these only carry fields."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, PasswordField, StringField
from wtforms.validators import InputRequired, Length

from app.forms import Form


class NameForm(Form):
    """The username and display name every new account chooses, however it signs up."""

    username = StringField(
        _l("Username"),
        validators=[InputRequired(), Length(min=3, max=30)],
        description=_l("3–30 English letters, digits, '_' or '.'. Others see it as @name."),
        render_kw={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"},
    )
    display_name = StringField(
        _l("Display name"),
        validators=[InputRequired(), Length(min=1, max=40)],
        description=_l("How you appear on stage. Any language, up to 40 characters."),
        render_kw={"autocomplete": "nickname"},
    )
    next = HiddenField()


class SignupForm(NameForm):
    """Create a local account."""

    password = PasswordField(
        _l("Password"),
        validators=[InputRequired(), Length(min=8, max=200)],
        description=_l("At least 8 characters."),
        render_kw={"autocomplete": "new-password"},
    )


class LoginForm(Form):
    """Sign in with a username and password."""

    username = StringField(
        _l("Username"),
        validators=[InputRequired(), Length(max=30)],
        render_kw={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"},
    )
    password = PasswordField(
        _l("Password"),
        validators=[InputRequired(), Length(max=200)],
        render_kw={"autocomplete": "current-password"},
    )
    remember = BooleanField(_l("Keep me signed in"))
    next = HiddenField()
