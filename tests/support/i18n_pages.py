"""Finding English on a page that should be in another language.

The English strings looked for are the msgids of a shipped catalogue whose
translation differs from the English (a word that is the same in both, such
as "Auditor", proves nothing). Each msgid is cut at its placeholders and HTML
tags; each literal piece of at least two words, or a one-word message whole,
is searched in the page's visible text, its title and its accessible labels,
as a whole word or phrase (case and spacing as written).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from babel.messages.pofile import read_po

TRANSLATIONS = Path(__file__).resolve().parents[2] / "platform" / "translations"
PLACEHOLDER_OR_TAG = re.compile(r"%\(\w+\)[sd]|%[sd]|<[^>]+>")
# What a page shows besides its text: title, labels, placeholders and tooltips.
PAGE_TEXT_JS = """() => [document.title, document.body.innerText,
  ...Array.from(document.querySelectorAll('[aria-label],[placeholder],[title],[alt]'))
     .flatMap(e => ['aria-label', 'placeholder', 'title', 'alt'].map(a => e.getAttribute(a) || ''))
].join('\\n')"""


@dataclass(frozen=True)
class Page:
    """A page to walk: who must be signed in (``None``: nobody) and its path."""

    role: str | None
    path: str


def _pieces(message: str) -> list[str]:
    pieces = [" ".join(p.split()) for p in PLACEHOLDER_OR_TAG.split(message)]
    pieces = [p.strip(" .,:;()—") for p in pieces]
    words = [p for p in pieces if re.search(r"[A-Za-z]", p)]
    if len(words) == 1 and words[0] == " ".join(message.split()):
        return words  # a message of its own, however short ("Sign in", "Filter")
    return [p for p in words if len(p.split()) >= 2]


@cache
def english_with_translation(locale: str) -> tuple[tuple[str, re.Pattern[str]], ...]:
    """(msgid, pattern) for every message that reads differently in ``locale``."""
    with (TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po").open("rb") as f:
        catalog = read_po(f, locale=locale)
    found = []
    for message in catalog:
        if not message.id:
            continue
        english = message.id if isinstance(message.id, tuple) else (message.id,)
        translated = message.string if isinstance(message.string, tuple) else (message.string,)
        if set(english) == set(translated) or not all(translated):
            continue
        for text in english:
            for piece in _pieces(text):
                if any(piece in t for t in translated):
                    continue  # the translation keeps it (a name, a command)
                found.append((text, re.compile(r"(?<!\w)" + re.escape(piece) + r"(?!\w)")))
    return tuple(found)


def english_on(text: str, locale: str) -> list[str]:
    """The catalogue's English messages (with a translation in ``locale``) seen in ``text``."""
    text = " ".join(text.split())
    return sorted(
        {msgid for msgid, pattern in english_with_translation(locale) if pattern.search(text)}
    )
