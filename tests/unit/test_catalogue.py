"""The translation catalogues: complete, faithful to their placeholders, current, compiled.

When one of these fails after you add or change text, run `make messages`, translate the new
entries in app/translations/ko/LC_MESSAGES/messages.po (see docs/i18n.md), and run it again
to compile.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "app" / "translations"
PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]")
HOW_TO_FIX = "Run `make messages`, translate the new entries (docs/i18n.md), then run it again."


def load_po(locale: str):
    """Read a locale's .po catalogue."""
    with (TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=locale)


def placeholders(text: str) -> list[str]:
    """Return the sorted %(name)s placeholders of `text`."""
    return sorted(PLACEHOLDER.findall(text))


def test_every_message_has_a_korean_translation_with_the_same_placeholders():
    problems = []
    for message in load_po("ko"):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(strings) or message.fuzzy:
            problems.append(f"untranslated or fuzzy: {ids[0]!r}")
            continue
        wanted = placeholders(ids[-1])
        for text in strings:
            if placeholders(text) != wanted:
                problems.append(f"placeholders differ: {ids[0]!r} → {text!r}")
    assert not problems, "\n".join([*problems, HOW_TO_FIX])


def test_the_template_holds_exactly_the_strings_in_the_code(tmp_path):
    fresh = tmp_path / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg",
         "-k", "_l", "-k", "lazy_gettext", "-k", "lazy_ngettext:1,2", "--no-location",
         "-o", str(fresh), "."],
        cwd=ROOT, check=True, capture_output=True,
    )  # fmt: skip
    with fresh.open("rb") as handle:
        in_code = {m.id for m in read_po(handle) if m.id}
    with (TRANSLATIONS / "messages.pot").open("rb") as handle:
        in_pot = {m.id for m in read_po(handle) if m.id}
    for locale in ("ko", "en"):
        in_po = {m.id for m in load_po(locale) if m.id}
        assert in_po == in_pot, f"{locale}/messages.po is not updated from the .pot. {HOW_TO_FIX}"
    new, gone = sorted(in_code - in_pot, key=str), sorted(in_pot - in_code, key=str)
    assert not new and not gone, (
        f"app/translations/messages.pot is out of date.\n"
        f"  in the code but not the catalogue: {new}\n"
        f"  in the catalogue but no longer in the code: {gone}\n{HOW_TO_FIX}"
    )


@pytest.mark.parametrize("locale", ["ko", "en"])
def test_the_committed_mo_matches_its_po(locale):
    def key(message) -> tuple:
        """A message as comparable data: its ids and its strings, as tuples."""
        ids = message.id if isinstance(message.id, (list, tuple)) else (message.id,)
        strings = message.string if isinstance(message.string, (list, tuple)) else (message.string,)
        return tuple(ids), tuple(strings)

    with (TRANSLATIONS / locale / "LC_MESSAGES" / "messages.mo").open("rb") as handle:
        # The compiler writes an untranslated plural as its English forms: the same text.
        compiled = dict(key(m) for m in read_mo(handle) if m.id and key(m)[0] != key(m)[1])
    written = dict(
        key(m) for m in load_po(locale) if m.id and any(key(m)[1]) and key(m)[0] != key(m)[1]
    )
    assert compiled == written, f"{locale}/messages.mo is stale. {HOW_TO_FIX}"
