"""The base of every form: Flask-WTF's, with WTForms' own messages in the request's language.

Flask-WTF reads WTForms' message catalogue from disk on every request that builds a form
(each field's default label goes through it), which cost more than the rest of a chat
post's form handling. The catalogues never change while the process runs, so each
language's is read once and shared.
"""

from __future__ import annotations

from functools import cache

from babel import support
from flask_wtf import FlaskForm
from wtforms.i18n import messages_path

from app.i18n import current_locale


@cache
def wtforms_catalogue(locale: str) -> support.Translations:
    """Return WTForms' messages in `locale`, read from disk once per process."""
    return support.Translations.load(messages_path(), [locale], domain="wtforms")


class Form(FlaskForm):
    """A Flask-WTF form whose built-in messages come from the shared catalogues."""

    class Meta:
        def get_translations(self, form):
            """WTForms' messages in the language this request is served in."""
            return wtforms_catalogue(current_locale())
