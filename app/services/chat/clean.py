"""The first step of a post: clean the text and check its length and client id."""

from __future__ import annotations

import re
import secrets
import unicodedata

from flask_babel import lazy_gettext as _l

from app.services.chat.errors import BadClientId, EmptyMessage, MessageTooLong
from app.services.errors import InvalidInput

MAX_BODY = 500
MAX_TITLE = 80
CLIENT_ID_RE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
# Bidirectional overrides can make an escaped line read backwards; nobody needs them in chat.
_BIDI_CONTROLS = {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))}


def clean_body(body: str | None) -> str:
    """Normalise to NFC, turn line breaks into spaces, drop control characters, trim."""
    text = unicodedata.normalize("NFC", body or "")
    text = text.replace("\r\n", " ").replace("\n", " ").replace("\r", " ").replace("\t", " ")
    text = "".join(
        ch for ch in text if unicodedata.category(ch) != "Cc" and ch not in _BIDI_CONTROLS
    )
    return text.strip()


def validate_length(body: str) -> str:
    """Return `body` if it is 1–500 characters, else raise."""
    if not body:
        raise EmptyMessage(field="body")
    if len(body) > MAX_BODY:
        raise MessageTooLong(
            str(
                _l(
                    "Messages can be at most %(max)d characters (this one has %(n)d).",
                    max=MAX_BODY,
                    n=len(body),
                )
            ),
            field="body",
        )
    return body


def validate_client_id(client_id: str | None) -> str:
    """Return the client id, a fresh one when none was sent, or raise when it is malformed."""
    if not client_id:
        return new_client_id()
    if not CLIENT_ID_RE.fullmatch(client_id):
        raise BadClientId(field="client_id")
    return client_id


def new_client_id() -> str:
    """Return a random client id, for forms that are sent without JavaScript."""
    return secrets.token_urlsafe(18)


def clean_title(title: str | None) -> str:
    """Return a group title of 1–80 characters, or raise."""
    text = " ".join(clean_body(title).split())
    if not text:
        raise InvalidInput(_l("Give the group a title."), field="title")
    if len(text) > MAX_TITLE:
        raise InvalidInput(
            _l("Titles can be at most %(max)d characters.", max=MAX_TITLE), field="title"
        )
    return text
