"""Checks that a document is an Atom 1.0 feed (RFC 4287), for the transparency feed's tests.

feedparser must read it without trouble (``bozo == 0``: well-formed XML of a
known feed type) as ``atom10``, and the RFC's required elements must be there,
in the Atom namespace: the feed's ``id``, ``title`` and ``updated`` (and an
``author``, unless every entry has one), and each entry's ``id``, ``title``,
``updated`` and a ``link`` (it has no ``content``). ``updated`` must be an RFC
3339 date-time. :func:`atom_problems` lists what is wrong; empty means valid.
"""

from __future__ import annotations

from datetime import datetime

import feedparser
from lxml import etree

ATOM = "{http://www.w3.org/2005/Atom}"


def _date_time(text: str | None) -> bool:
    if not text or "T" not in text:
        return False
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).tzinfo is not None
    except ValueError:
        return False


def _required(element: etree._Element, where: str, names: tuple[str, ...]) -> list[str]:
    problems = []
    for name in names:
        found = element.findall(f"{ATOM}{name}")
        if len(found) != 1 or not (found[0].text or "").strip():
            problems.append(f"{where}: needs exactly one non-empty atom:{name}")
        elif name == "updated" and not _date_time(found[0].text):
            problems.append(f"{where}: atom:updated {found[0].text!r} is not an RFC 3339 date-time")
    return problems


def atom_problems(document: bytes) -> list[str]:
    """Every reason ``document`` is not a valid Atom feed (empty if it is one)."""
    parsed = feedparser.parse(document)
    if parsed.bozo:
        return [f"feedparser: {parsed.bozo_exception}"]
    if parsed.version != "atom10":
        return [f"feedparser reads it as {parsed.version or 'nothing known'}, not atom10"]
    root = etree.fromstring(document)
    if root.tag != f"{ATOM}feed":
        return [f"the root is {root.tag}, not atom:feed"]
    problems = _required(root, "feed", ("id", "title", "updated"))
    entries = root.findall(f"{ATOM}entry")
    authored = all(e.find(f"{ATOM}author") is not None for e in entries)
    if root.find(f"{ATOM}author") is None and not (entries and authored):
        problems.append("feed: needs an atom:author (or one in every entry)")
    for i, entry in enumerate(entries):
        problems += _required(entry, f"entry {i}", ("id", "title", "updated"))
        if entry.find(f"{ATOM}content") is None and entry.find(f"{ATOM}link") is None:
            problems.append(f"entry {i}: needs an atom:link or atom:content")
    return problems
