"""Chat forms. Rules live in app.services.chat; these only carry fields (and CSRF)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, StringField
from wtforms.validators import Optional

from app.forms import Form


class GroupForm(Form):
    """Start a group conversation."""

    title = StringField(_l("Title"), render_kw={"maxlength": 80, "autocomplete": "off"})
    members = StringField(
        _l("People"),
        description=_l("Usernames separated by commas or spaces, e.g. mina, junho"),
        render_kw={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"},
    )


class DirectForm(Form):
    """Start (or reopen) a direct conversation with one person."""

    username = StringField(_l("Username"))


class RenameForm(Form):
    """Give a group a new title."""

    title = StringField(_l("Title"), render_kw={"maxlength": 80, "autocomplete": "off"})


class ReadForm(Form):
    """How far the reader has read."""

    seq = IntegerField(validators=[Optional()])
