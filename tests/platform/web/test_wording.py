"""Plain words for machine identifiers: durations, legal bases, scopes, log entries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pytest
from flask import Flask
from flask_babel import Babel

from civicdata.web import wording


@pytest.fixture(autouse=True)
def _request_context():  # type: ignore[no-untyped-def]
    app = Flask(__name__)
    Babel(app)
    with app.test_request_context():
        yield


@pytest.mark.parametrize(
    ("iso", "words"),
    [
        ("P30D", "30 days"),
        ("P1D", "1 day"),
        ("P1Y", "1 year"),
        ("P2Y", "2 years"),
        ("P6M", "6 months"),
        ("P1Y6M", "1 year and 6 months"),
        ("P1Y2M3D", "1 year, 2 months, and 3 days"),
        ("P2W", "2 weeks"),
        ("PT5M", "PT5M"),  # not a duration of days: left as written
        ("P", "P"),
    ],
)
def test_durations_are_words(iso: str, words: str) -> None:
    assert wording.duration(iso) == words


def test_legal_bases_are_words_and_say_whether_they_are_consent() -> None:
    assert wording.legal_basis("dpv:Consent") == "your consent"
    assert wording.legal_basis("dpv:PublicInterest") == "a task in the public interest"
    assert wording.legal_basis("dpv:Unheard") == "Unheard"
    assert wording.is_consent("dpv:ExplicitlyExpressedConsent")
    assert not wording.is_consent("dpv:PublicInterest")


def test_periods_and_lists_and_dates() -> None:
    assert wording.period("P30D") == "any 30 days"
    assert wording.period("calendar-month") == "each calendar month"
    assert wording.names_of(["trips", "water"], {"trips": "Trips"}) == "Trips and water"
    assert wording.day(datetime(2026, 3, 3, 12)) == "March 3, 2026"
    assert wording.day(None) == ""


def test_scopes_are_what_the_app_may_do() -> None:
    titles = {"transport-planning": "Planning buses"}
    assert wording.scope("openid", titles) == "know that it is you"
    assert wording.scope("purpose:transport-planning", titles) == (
        "use your data for “Planning buses”"
    )
    assert wording.scope("purpose:gone", titles) == "use your data for “gone”"


@dataclass
class _Entry:
    action: str
    actor: str = "me"
    decision: str = "ok"
    purpose: str | None = None
    dataset: str | None = None
    resource: str = ""


NAMES = {
    "purposes": {"transport-planning": "transport planning"},
    "datasets": {"trips": "Public transport trips"},
    "departments": {},
    "apps": {"c-1": "Bus app"},
}


@pytest.mark.parametrize(
    ("entry", "sentence"),
    [
        (
            _Entry("consent.withdraw", purpose="transport-planning"),
            "You withdrew consent to “transport planning”",
        ),
        (
            _Entry("consent.give", actor="client:c-1", purpose="transport-planning"),
            "An app recorded your consent to “transport planning”",
        ),
        (_Entry("oauth.authorize", resource="c-1"), "You authorised the app Bus app"),
        (
            _Entry("oauth.authorize", resource="c-1", decision="declined"),
            "You said no to the app Bus app",
        ),
        (
            _Entry("citizen.export", dataset="trips"),
            "You looked at or downloaded a copy of your data, about Public transport trips",
        ),
        (_Entry("login", decision="refused"), "You signed in (refused)"),
        (_Entry("mystery.thing"), "Something was recorded about you (mystery.thing)"),
    ],
)
def test_log_entries_become_sentences(entry: _Entry, sentence: str) -> None:
    assert wording.activity(entry, "me", NAMES) == sentence
