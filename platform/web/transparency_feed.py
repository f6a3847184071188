"""The transparency page's Atom feed (RFC 4287), built with feedgen.

One entry per public release: its id is the release page's URL (stable, as
release ids never change), its title names the dataset and department, its
summary gives the query in words and the epsilon spent, and it links to the
release page, where the values and the signed statement are.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from feedgen.feed import FeedGenerator

from civicdata.releases.transparency import PublishedRelease

FEED_SIZE = 50
EMPTY_FEED_UPDATED = datetime(2025, 1, 1, tzinfo=UTC)  # an empty feed never changed


def atom_feed(
    city: str,
    releases: Sequence[PublishedRelease],
    page_url: str,
    self_url: str,
    release_url: Callable[[str], str],
) -> bytes:
    """The feed of ``releases`` (newest first) as UTF-8 Atom XML."""
    feed = FeedGenerator()
    feed.id(page_url)
    feed.title(f"{city}: public releases")
    feed.subtitle("Differentially private statistics published by the city, with their signatures.")
    feed.author({"name": city})
    feed.link(href=page_url, rel="alternate", type="text/html")
    feed.link(href=self_url, rel="self", type="application/atom+xml")
    feed.language("en")
    feed.updated(releases[0].published_at if releases else EMPTY_FEED_UPDATED)
    for release in reversed(releases):  # feedgen puts the last added first
        url = release_url(release.id)
        entry = feed.add_entry()
        entry.id(url)
        entry.title(f"{release.dataset_title}: {release.department_name}")
        entry.updated(release.published_at)
        entry.published(release.published_at)
        entry.link(href=url, rel="alternate", type="text/html")
        entry.summary(_summary(release))
    body: bytes = feed.atom_str(pretty=True)
    return body


def _summary(release: PublishedRelease) -> str:
    words = release.words
    statement = release.statement
    parts = [
        f"For {release.purpose_title}.",
        f"Months: {words.months}.",
        f"Grouped by: {words.group_by}.",
    ]
    if words.filters:
        parts.append(f"Filters: {'; '.join(words.filters)}.")
    parts.append(f"Measures: {'; '.join(words.measures)}.")
    parts.append(f"{len(statement['cells'])} values with 95 % intervals; ε {statement['epsilon']}.")
    return " ".join(parts)
