"""What the consent screen shows, in the citizen's language, and what they ticked.

Each requested ``purpose:<id>`` scope becomes a checkbox with the purpose's
plain-language notice (title, text, controller, notice version), ticked
already when the citizen's consent to it is active. Other scopes are listed as
what the app will be able to do. The citizen may untick purposes; they can
never grant one that was not asked.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from civicdata.i18n import DEFAULT_LOCALE, lazy_gettext
from civicdata.oauth import scopes as scope_lib
from consent.purposes import CONSENT_BASES, Purpose

# What each non-purpose scope lets an app do, in the reader's words (translated
# in civicdata/translations like every other portal string).
SCOPE_TEXT = {
    "openid": lazy_gettext("Know that it is you (a pseudonymous identifier only)."),
    "profile": lazy_gettext("See the name you gave when you registered."),
    "consent:read": lazy_gettext(
        "See which purposes you have consented to, and download a copy of the data "
        "the city holds on you."
    ),
    "consent:write": lazy_gettext("Give or withdraw consent for you when you ask it to."),
}


@dataclass(frozen=True)
class PurposeChoice:
    scope: str
    title: str
    text: str
    controller: str
    notice_version: str
    given: bool = False  # the citizen's consent to it is active: the box starts ticked
    consent_based: bool = True  # else a public task, which the citizen may object to


@dataclass(frozen=True)
class ConsentView:
    language: str
    purposes: list[PurposeChoice]
    abilities: list[str]


def describe(
    scope: str,
    purposes: Mapping[str, Purpose],
    departments: Mapping[str, str],
    language: str,
    given: Collection[str] = (),
) -> ConsentView:
    """The consent screen for the (validated) requested ``scope``, in ``language``; ``given``: active purposes.

    ``language`` is the page's locale (:func:`civicdata.i18n.current_locale`),
    which also translates the abilities.
    """
    choices = []
    abilities = []
    for item in scope_lib.split(scope):
        if item.startswith(scope_lib.PURPOSE_PREFIX):
            purpose_id = item[len(scope_lib.PURPOSE_PREFIX) :]
            purpose = purposes[purpose_id]
            notice = purpose.notice.get(language) or purpose.notice[DEFAULT_LOCALE]
            choices.append(
                PurposeChoice(
                    scope=item,
                    title=notice.title,
                    text=notice.text,
                    controller=departments.get(purpose.controller, purpose.controller),
                    notice_version=purpose.notice_hash[:12],
                    given=purpose_id in given,
                    consent_based=purpose.legal_basis in CONSENT_BASES,
                )
            )
        else:
            abilities.append(str(SCOPE_TEXT.get(item, item)))
    return ConsentView(language=language, purposes=choices, abilities=abilities)


def granted_scope(requested: str, ticked: Iterable[str]) -> str | None:
    """The scope to grant: requested non-purpose scopes plus the ticked purposes.

    ``None`` if something was ticked that was not requested (a forged form).
    """
    asked = scope_lib.split(requested)
    ticked_set = set(ticked)
    if not ticked_set <= {s for s in asked if s.startswith(scope_lib.PURPOSE_PREFIX)}:
        return None
    return scope_lib.join(
        s for s in asked if not s.startswith(scope_lib.PURPOSE_PREFIX) or s in ticked_set
    )
