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
# What a page shows besides its text: title, labels, placeholders and tooltips. Text marked
# translate="no" (the city's own names and descriptions, written in its catalogue's language)
# is left out: it is content, not the portal's wording.
PAGE_TEXT_JS = """() => {
  const kept = Array.from(document.querySelectorAll('[translate=no]'));
  kept.forEach(e => { e.dataset.display = e.style.display; e.style.display = 'none'; });
  const text = [document.title, document.body.innerText,
    ...Array.from(document.querySelectorAll('[aria-label],[placeholder],[title],[alt]'))
       .filter(e => !e.closest('[translate=no]'))
       .flatMap(e => ['aria-label', 'placeholder', 'title', 'alt'].map(a => e.getAttribute(a) || ''))
  ].join('\\n');
  kept.forEach(e => { e.style.display = e.dataset.display; });
  return text;
}"""


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
    # A word the translations themselves use (Catalan "any", a year) proves nothing.
    own_words = {
        w for m in catalog if m.id for t in _strings(m.string) for w in re.findall(r"\w+", t)
    }
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
                if any(piece in t for t in translated) or piece in own_words:
                    continue  # the translation keeps it (a name, a command), or it is a word of the locale
                found.append((text, re.compile(r"(?<!\w)" + re.escape(piece) + r"(?!\w)")))
    return tuple(found)


def _strings(string: str | tuple[str, ...] | None) -> tuple[str, ...]:
    if isinstance(string, tuple):
        return string
    return (string,) if string else ()


def english_on(text: str, locale: str) -> list[str]:
    """The catalogue's English messages (with a translation in ``locale``) seen in ``text``."""
    text = " ".join(text.split())
    return sorted(
        {msgid for msgid, pattern in english_with_translation(locale) if pattern.search(text)}
    )
