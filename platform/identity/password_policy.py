"""Which passwords are acceptable (NIST SP 800-63B), and how strong one is.

No composition rules. A password must be long enough for a single-factor
authenticator (15 characters; the portal has no second factor), not one of
the most common passwords (the shipped list) nor one in disguise (the same
after undoing l33t substitutions, case, repetition and added digits or
symbols, as breached-password lists are mangled), must not contain the
account's own email or name, and must not be easy to guess by zxcvbn's
estimate (dictionaries, keyboard patterns, dates, sequences).
:func:`assess` also gives the feedback the strength meter shows.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from zxcvbn import zxcvbn

from civicdata.i18n import gettext, lazy_gettext
from civicdata.identity.password_advice import advice

MIN_LENGTH = 15
MAX_LENGTH = 256
MIN_SCORE = 3  # zxcvbn: 3 is "safely unguessable", about 10^8 guesses or more
ZXCVBN_MAX = 72  # zxcvbn's own limit; longer passwords are judged by their start
COMMON_FILE = Path(__file__).with_name("common_passwords.txt")
LEET = str.maketrans("0134578@$!|+", "oleastbasilt")
EDGES = re.compile(r"^[\W\d_]+|[\W\d_]+$")
SCORE_WORDS = (
    lazy_gettext("very weak"),
    lazy_gettext("weak"),
    lazy_gettext("fair"),
    lazy_gettext("strong"),
    lazy_gettext("very strong"),
)


@dataclass(frozen=True)
class Assessment:
    """A password's score (0-4), what makes it unacceptable, and how to improve it.

    Problems and suggestions are whole sentences in the request's language.
    """

    score: int
    problems: list[str] = field(default_factory=list)
    suggestions: list[str] = field(default_factory=list)

    @property
    def acceptable(self) -> bool:
        return not self.problems

    @property
    def label(self) -> str:
        return str(SCORE_WORDS[self.score])


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list of the most common passwords, lower case."""
    lines = COMMON_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def _disguises(password: str) -> set[str]:
    """What ``password`` may be hiding: lower case, un-l33ted, trimmed, de-repeated."""
    lowered = password.lower()
    forms = {lowered, lowered.translate(LEET)}
    forms |= {EDGES.sub("", form) for form in list(forms)}
    for form in list(forms):
        unit = re.fullmatch(r"(.+?)\1+", form)
        if unit:
            forms.add(unit.group(1))
    return {form for form in forms if form}


def is_common(password: str) -> bool:
    """Whether ``password`` is a common password, as it is or in a usual disguise."""
    return not _disguises(password).isdisjoint(common_passwords())


def personal_words(email: str | None, name: str | None) -> list[str]:
    """The parts of an email and name a password must not contain (4 characters or more)."""
    words = []
    if email:
        email = email.strip().lower()
        words += [email, email.partition("@")[0]]
    if name:
        words += [name.strip().lower(), *name.lower().split()]
    return [w for w in dict.fromkeys(words) if len(w) >= 4]


def assess(password: str, personal: Iterable[str] = ()) -> Assessment:
    """Judge ``password`` for an account whose email and name give ``personal`` words."""
    personal = list(personal)
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(
            gettext("The password must have at least %(num)d characters.", num=MIN_LENGTH)
        )
    if len(password) > MAX_LENGTH:
        problems.append(
            gettext("The password must have at most %(num)d characters.", num=MAX_LENGTH)
        )
    if is_common(password):
        problems.append(gettext("The password is one of the most common passwords."))
    lowered = password.lower()
    if any(word in lowered for word in personal):
        problems.append(gettext("The password must not contain your email address or name."))
    result = zxcvbn(password[:ZXCVBN_MAX], user_inputs=personal)
    score = int(result["score"])
    feedback = result["feedback"]
    if score < MIN_SCORE and not problems:
        why = advice(feedback["warning"]) if feedback["warning"] else ""
        problems.append(f"{gettext('The password is too easy to guess.')} {why}".strip())
    if problems:
        score = min(score, MIN_SCORE - 1)
    suggestions = [advice(text) for text in feedback["suggestions"]]
    return Assessment(score=score, problems=problems, suggestions=suggestions)


def password_problem(password: str, personal: Iterable[str] = ()) -> str | None:
    """Why ``password`` is not acceptable (the first reason), or ``None``."""
    problems = assess(password, personal).problems
    return problems[0] if problems else None
