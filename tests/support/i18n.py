"""Reading pages the way a person does, to catch text served in the wrong language.

`visible_text` collects what can be seen or heard (text, aria-label, alt, title,
placeholder, meta descriptions), skipping elements marked with another `lang` (the language
switch names each language in itself). `english_leaks` and `korean_leaks` compare that text
with the catalogue.
"""

from __future__ import annotations

import re
from functools import cache
from html.parser import HTMLParser
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
KO_PO = ROOT / "app" / "translations" / "ko" / "LC_MESSAGES" / "messages.po"
PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|%%")
HANGUL = re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")
EDGES = " \t\n\"'“”‘’.,:;!?…()[]—–-·/←→+%"
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}  # fmt: skip
SPOKEN_ATTRS = ("aria-label", "alt", "title", "placeholder")


class _Visible(HTMLParser):
    """Collect (text, lang) pairs for everything a reader sees or a screen reader says."""

    def __init__(self, root_lang: str) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, str]] = [("#root", root_lang)]
        self.hidden = 0
        self.found: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        """Track lang and script/style nesting, and keep the spoken attributes."""
        values = dict(attrs)
        # translate="no" marks identifiers (IANA time zone ids), which are in no language.
        lang = "zxx" if values.get("translate") == "no" else values.get("lang") or self.stack[-1][1]
        if tag == "html" and values.get("lang"):
            self.stack[0] = ("#root", values["lang"])
        for name in SPOKEN_ATTRS:
            if values.get(name):
                self.found.append((values[name], lang))
        if tag == "meta" and values.get("name") == "description" and values.get("content"):
            self.found.append((values["content"], lang))
        if tag == "input" and values.get("type") in ("submit", "button") and values.get("value"):
            self.found.append((values["value"], lang))
        if tag in VOID:
            return
        if tag in ("script", "style", "template"):
            self.hidden += 1
        self.stack.append((tag, lang))

    def handle_endtag(self, tag: str) -> None:
        """Pop back to the matching element."""
        for index in range(len(self.stack) - 1, 0, -1):
            if self.stack[index][0] == tag:
                if tag in ("script", "style", "template"):
                    self.hidden = max(0, self.hidden - 1)
                del self.stack[index:]
                return

    def handle_data(self, data: str) -> None:
        """Keep text that is not inside a script or style."""
        if not self.hidden and data.strip():
            self.found.append((data, self.stack[-1][1]))


def visible_text(html: str, lang: str) -> list[str]:
    """Return the visible and spoken text of `html` that is in `lang` (per `lang` attributes)."""
    parser = _Visible(lang)
    parser.feed(html)
    return [text for text, text_lang in parser.found if text_lang.split("-")[0] == lang]


def html_lang(html: str) -> str | None:
    """Return the `<html lang>` of a full page, or None for a fragment."""
    match = re.search(r"<html[^>]*\slang=\"([^\"]*)\"", html)
    return match.group(1) if match else None


@cache
def catalogue() -> list[tuple[str, str]]:
    """Return (English msgid, Korean msgstr) pairs, plural forms included."""
    with KO_PO.open("rb") as handle:
        cat = read_po(handle, locale="ko")
    pairs = []
    for message in cat:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for msgid in ids:
            for msgstr in strings:
                pairs.append((msgid, msgstr))
    return pairs


def _pieces(text: str) -> list[str]:
    """Split a message around its placeholders into the literal pieces a page would show."""
    return [piece.strip(EDGES) for piece in PLACEHOLDER.split(text) if piece.strip(EDGES)]


@cache
def english_patterns() -> list[tuple[str, re.Pattern]]:
    """Return a whole-word pattern for each English piece whose Korean differs."""
    patterns = {}
    for msgid, msgstr in catalogue():
        if msgid == msgstr:
            continue  # brand names such as "Encore" read the same in both
        for piece in _pieces(msgid):
            if re.search(r"[A-Za-z]{2,}", piece) and piece not in _pieces(msgstr):
                patterns[piece] = re.compile(r"(?<![A-Za-z])" + re.escape(piece) + r"(?![A-Za-z])")
    return sorted(patterns.items())


def english_leaks(texts: list[str]) -> list[str]:
    """Return the English msgid pieces found in `texts` (which should be Korean)."""
    joined = "\n".join(texts)
    return [piece for piece, pattern in english_patterns() if pattern.search(joined)]


def korean_leaks(texts: list[str]) -> list[str]:
    """Return the text pieces in `texts` (which should be English) that contain Hangul."""
    return [text.strip() for text in texts if HANGUL.search(text)]
