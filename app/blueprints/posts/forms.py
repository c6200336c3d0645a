"""Forms for highlights and comments. Rules live in app.services.posts; these carry fields."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import MultipleFileField
from wtforms import IntegerField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional
from wtforms.widgets import HiddenInput

from app.forms import Form


class PostForm(Form):
    """A new highlight: text, photos and an optional performance."""

    body = TextAreaField(
        _l("What happened?"),
        validators=[Optional(), Length(max=1000)],
        description=_l("Up to 1,000 characters. Add tags with #, like #karaoke."),
        render_kw={"maxlength": 1000, "rows": 4},
    )
    photos = MultipleFileField(
        _l("Photos"),
        description=_l("Up to 4 JPEG, PNG, WebP or HEIC photos, 8 MB each."),
        # HEIC is listed so a desktop file picker offers iPhone photos too.
        render_kw={
            "accept": "image/jpeg,image/png,image/webp,image/heic,image/heif,.heic,.heif",
            "multiple": True,
        },
    )
    performance_id = IntegerField(validators=[Optional()], widget=HiddenInput())


class EditPostForm(Form):
    """The text of an existing highlight."""

    body = TextAreaField(
        _l("What happened?"),
        validators=[Optional(), Length(max=1000)],
        render_kw={"maxlength": 1000, "rows": 4},
    )


class CommentForm(Form):
    """A comment, or a reply when `parent_id` is set."""

    body = TextAreaField(
        _l("Comment"),
        validators=[InputRequired(), Length(min=1, max=500)],
        render_kw={"maxlength": 500, "rows": 2},
    )
    parent_id = IntegerField(validators=[Optional()], widget=HiddenInput())
