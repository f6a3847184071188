"""Plain words for the citizen's pages: legal bases, durations, scopes, dates, log entries.

The catalog and the purposes are written for machines (``dpv:Consent``,
``P30D``, ``consent:read``, ``consent.withdraw``); a resident should read
"consent", "30 days", "see which purposes you agreed to" and "You withdrew
consent to …". Every phrase goes through gettext so that the translations
cover it, and dates through Flask-Babel so that they follow the locale.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from babel.lists import format_list
from flask_babel import format_date, format_datetime, get_locale, gettext, ngettext

from civicdata.oauth import scopes as scope_lib
from consent.purposes import CONSENT_BASES

_DURATION = re.compile(r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?$")


def legal_basis(basis: str) -> str:
    """Why the city may use the data, in words (a DPV legal basis)."""
    words = {
        "dpv:Consent": gettext("your consent"),
        "dpv:ExplicitlyExpressedConsent": gettext("your explicit consent"),
        "dpv:PublicInterest": gettext("a task in the public interest"),
        "dpv:OfficialAuthorityOfController": gettext("the city's official authority"),
        "dpv:LegalObligation": gettext("a legal obligation"),
    }
    return words.get(basis, basis.removeprefix("dpv:"))


def is_consent(basis: str) -> bool:
    """Whether the legal basis is consent (else the resident has a right to object)."""
    return basis in CONSENT_BASES


def duration(iso: str) -> str:
    """An ISO 8601 duration of years, months, weeks and days in words: ``P30D`` is "30 days"."""
    found = _DURATION.match(iso or "")
    if not found or not any(found.groups()):
        return iso
    years, months, weeks, days = (int(part or 0) for part in found.groups())
    parts = []
    if years:
        parts.append(ngettext("%(num)d year", "%(num)d years", years))
    if months:
        parts.append(ngettext("%(num)d month", "%(num)d months", months))
    if weeks:
        parts.append(ngettext("%(num)d week", "%(num)d weeks", weeks))
    if days:
        parts.append(ngettext("%(num)d day", "%(num)d days", days))
    return format_list(parts, locale=get_locale() or "en")


def period(label: str) -> str:
    """A budget period in words: ``calendar-month`` or a rolling ``P30D``."""
    if label == "calendar-month":
        return gettext("each calendar month")
    return gettext("any %(span)s", span=duration(label))


def day(moment: datetime | None) -> str:
    """A date as people write it ("3 March 2026" in English), in the locale."""
    return format_date(moment, format="long") if moment else ""


def moment(value: datetime | None) -> str:
    """A date and time as people write them, in the locale."""
    return format_datetime(value, format="medium") if value else ""


def names_of(ids: Iterable[str], names: Mapping[str, str]) -> str:
    """Ids as people call them, in a list: ``trips`` is "Public transport trips"."""
    return format_list([names.get(i, i) for i in ids], locale=get_locale() or "en")


def scope(item: str, titles: Mapping[str, str]) -> str:
    """What an app may do with one scope, in words; ``titles`` names the purposes."""
    words = {
        "openid": gettext("know that it is you"),
        "profile": gettext("see the name you gave"),
        "consent:read": gettext("see which purposes you agreed to and download your data"),
        "consent:write": gettext("give or withdraw consent for you when you ask it to"),
    }
    if item in words:
        return words[item]
    if item.startswith(scope_lib.PURPOSE_PREFIX):
        purpose = item[len(scope_lib.PURPOSE_PREFIX) :]
        return gettext("use your data for “%(purpose)s”", purpose=titles.get(purpose, purpose))
    return item


def activity(event: Any, me: str, names: Mapping[str, Mapping[str, str]]) -> str:
    """One audit-log entry about the resident as a sentence.

    ``names`` maps ``purposes``, ``datasets``, ``departments`` and ``apps``
    ids to what people call them.
    """
    purpose = names["purposes"].get(event.purpose or "", event.purpose or "")
    dataset = names["datasets"].get(event.dataset or "", event.dataset or "")
    app = names["apps"].get(event.resource or "", event.resource or "")
    by_you = event.actor == me
    mine = {
        "consent.give": gettext("You gave consent to “%(purpose)s”", purpose=purpose),
        "consent.withdraw": gettext("You withdrew consent to “%(purpose)s”", purpose=purpose),
        "citizen.export": gettext("You looked at or downloaded a copy of your data"),
        "citizen.erase": gettext("You asked to erase your data"),
        "login": gettext("You signed in"),
        "logout": gettext("You signed out"),
        "register": gettext("You created your account"),
        "account.create": gettext("Your account was created"),
        "email.verify": gettext("You confirmed your email address"),
        "password.change": gettext("You changed your password"),
        "password.reset.request": gettext("A password reset was asked for"),
        "password.reset": gettext("Your password was reset"),
        "oauth.authorize": gettext("You authorised the app %(app)s", app=app),
        "oauth.revoke_app": gettext("You revoked the app %(app)s", app=app),
        "oauth.token": gettext("The app %(app)s received access on your behalf", app=app),
        "demo.consents": gettext("The demo city recorded consents for you"),
    }
    by_other = {
        "consent.give": gettext("An app recorded your consent to “%(purpose)s”", purpose=purpose),
        "consent.withdraw": gettext(
            "An app recorded your withdrawal of consent to “%(purpose)s”", purpose=purpose
        ),
        "citizen.export": gettext("An app you authorised downloaded a copy of your data"),
    }
    sentence = (mine if by_you else {**mine, **by_other}).get(event.action)
    if sentence is None:
        sentence = gettext("Something was recorded about you (%(what)s)", what=event.action)
    if dataset and event.action not in ("consent.give", "consent.withdraw"):
        sentence = gettext("%(sentence)s, about %(dataset)s", sentence=sentence, dataset=dataset)
    if event.action == "oauth.authorize" and event.decision == "declined":
        return gettext("You said no to the app %(app)s", app=app)
    if event.decision != "ok":
        outcome = {
            "declined": gettext("you said no"),
            "denied": gettext("not allowed"),
        }.get(event.decision, gettext("refused"))
        sentence = gettext("%(sentence)s (%(outcome)s)", sentence=sentence, outcome=outcome)
    return sentence
