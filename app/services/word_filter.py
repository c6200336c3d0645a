"""The word filter: lines with listed words are masked with ● (or refused, if configured).

The lists are plain text files, one entry a line: the Korean and English starter lists
in `app/services/word_lists/`, plus an optional site file named by WORD_FILTER_FILE.
English entries match whole words in any case; Korean entries match anywhere, even with
spaces or dots slipped between their letters, because particles attach to Korean words.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l

from app.services.errors import InvalidInput

LISTS_DIR = Path(__file__).resolve().parent / "word_lists"
MASK = "●"


class WordRefused(InvalidInput):
    """The line has a word the site does not allow (WORD_FILTER_MODE = "refuse")."""

    default_message = _l("Please say that without the rude words.")


def _read(path: Path) -> list[str]:
    """Return the entries of one list file (comments and blank lines skipped)."""
    entries = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            entries.append(line.lower())
    return entries


def _entry_pattern(entry: str) -> str:
    """Return the regex for one entry: whole word for ASCII, gap-tolerant for Hangul."""
    if entry.isascii():
        return r"(?<![a-z0-9])" + re.escape(entry) + r"(?![a-z0-9])"
    return r"[\s.·_\-]*".join(re.escape(ch) for ch in entry)


@functools.cache
def _compile(languages: tuple[str, ...], extra_file: str | None) -> re.Pattern | None:
    """Build one alternation of every entry, longest first (cached per configuration)."""
    entries: set[str] = set()
    for language in languages:
        path = LISTS_DIR / f"{language}.txt"
        if path.exists():
            entries.update(_read(path))
    if extra_file:
        entries.update(_read(Path(extra_file)))
    if not entries:
        return None
    ordered = sorted(entries, key=len, reverse=True)
    return re.compile("|".join(_entry_pattern(e) for e in ordered), re.IGNORECASE)


def _pattern() -> re.Pattern | None:
    """Return the compiled filter for the current app's configuration."""
    config = current_app.config
    return _compile(tuple(config["WORD_FILTER_LISTS"]), config.get("WORD_FILTER_FILE") or None)


def has_listed_word(text: str) -> bool:
    """Tell whether `text` contains a listed word."""
    pattern = _pattern()
    return bool(pattern and pattern.search(text or ""))


def clean(text: str) -> str:
    """Return `text` with listed words masked, or raise WordRefused in "refuse" mode."""
    pattern = _pattern()
    if pattern is None or not text:
        return text
    if current_app.config["WORD_FILTER_MODE"] == "refuse":
        if pattern.search(text):
            raise WordRefused(field="body")
        return text
    return pattern.sub(lambda match: MASK * max(2, len(match.group(0).replace(" ", ""))), text)
