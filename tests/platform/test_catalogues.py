"""The shipped catalogues are complete, up to date with the code, and compiled.

* every message of ``ca`` and ``es`` is translated (every plural form), none fuzzy;
* each translation keeps the message's placeholders and HTML tags;
* the msgids are exactly those that ``make messages`` extracts from the
  templates and Python code now (extracted here into a temporary .pot), so a
  new or changed string fails until the catalogues are updated and translated;
* each compiled ``.mo`` says what its ``.po`` says (``make`` recompiles them).
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from civicdata.i18n import DEFAULT_LOCALE, LOCALES

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "platform" / "translations"
SHIPPED = [code for code in LOCALES if code != DEFAULT_LOCALE]
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]")
TAG = re.compile(r"</?([a-z]+)")


def _po(code: str) -> Catalog:
    with (TRANSLATIONS / code / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return read_po(f, locale=code)


def _messages(catalog: Catalog) -> list:  # type: ignore[type-arg]
    return [m for m in catalog if m.id]


def _forms(value: str | tuple[str, ...] | list[str]) -> tuple[str, ...]:
    return tuple(value) if isinstance(value, tuple | list) else (value,)


def _key(message_id: str | tuple[str, ...]) -> str:
    return _forms(message_id)[0]


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    """The msgids ``make messages`` would extract now (same configuration and keywords)."""
    pot = tmp_path_factory.mktemp("pot") / "messages.pot"
    CommandLineInterface().run(
        ["pybabel", "-q", "extract", "-F", str(ROOT / "babel.cfg"), "-k", "lazy_gettext",
         "-k", "_l", "--no-location", "-o", str(pot), str(ROOT)]
    )  # fmt: skip
    with pot.open("rb") as f:
        return {_key(m.id) for m in _messages(read_po(f))}


@pytest.mark.parametrize("code", SHIPPED)
def test_every_message_is_translated_and_none_is_fuzzy(code: str) -> None:
    catalog = _po(code)
    untranslated = [_key(m.id) for m in _messages(catalog) if not all(_forms(m.string))]
    fuzzy = [_key(m.id) for m in _messages(catalog) if m.fuzzy]
    assert not untranslated, (
        f"{code}: untranslated (run make messages, then translate): {untranslated}"
    )
    assert not fuzzy, f"{code}: fuzzy (check and remove the flag): {fuzzy}"
    assert len(_messages(catalog)) > 100


@pytest.mark.parametrize("code", SHIPPED)
def test_translations_keep_placeholders_and_markup(code: str) -> None:
    wrong = []
    for message in _messages(_po(code)):
        source = " ".join(_forms(message.id))
        for translation in _forms(message.string):
            if set(PLACEHOLDER.findall(translation)) - set(PLACEHOLDER.findall(source)):
                wrong.append((source, translation))
            if Counter(TAG.findall(translation)) != Counter(TAG.findall(_forms(message.id)[0])):
                wrong.append((source, translation))
    assert not wrong, f"{code}: placeholders or tags differ from the English: {wrong}"


@pytest.mark.parametrize("code", SHIPPED)
def test_catalogues_match_the_strings_in_the_code(code: str, extracted: set[str]) -> None:
    shipped = {_key(m.id) for m in _messages(_po(code))}
    assert not extracted - shipped, f"{code}: new strings, run make messages: {extracted - shipped}"
    assert not shipped - extracted, (
        f"{code}: strings no longer used, run make messages: {shipped - extracted}"
    )


@pytest.mark.parametrize("code", SHIPPED)
def test_compiled_catalogues_say_what_the_po_says(code: str) -> None:
    compiled = TRANSLATIONS / code / "LC_MESSAGES" / "messages.mo"
    assert compiled.exists(), f"{compiled} is missing: run make (or make messages)"
    with compiled.open("rb") as f:
        mo = {_key(m.id): _forms(m.string) for m in _messages(read_mo(f))}
    po = {_key(m.id): _forms(m.string) for m in _messages(_po(code))}
    assert mo == po, f"{compiled} is older than its .po: run make"
