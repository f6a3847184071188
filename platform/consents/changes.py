"""Giving and withdrawing consent from the citizen portal or the consent API.

Checks the request (known purpose, supported language), publishes the notice
shown if the database lacks it, writes the event with its signed receipt and
audit entry (:mod:`.recording`). A withdrawal also withdraws every app
authorization that carries the purpose, revoking its tokens and unused codes
(tokens would be refused anyway: :func:`~civicdata.oauth.authorizations.authorization_is_active`
checks the consent). Nothing here commits: the request or command owns the transaction.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicdata.consents.issuers import ensure_published
from civicdata.consents.recording import Collector, record_give, record_withdrawal
from civicdata.context import Platform
from civicdata.db import utcnow
from civicdata.oauth.authorizations import withdraw_authorization
from civicdata.oauth.models import OAuthAuthorization
from consent.purposes import LANGUAGES, Purpose
from consent.records import ConsentError, ConsentEvent


class ConsentRequestError(ValueError):
    """A consent change refused before anything was written; ``field`` names the culprit.

    Carries no HTTP status: the web layer maps each kind (:func:`civicdata.errors.status_for`).
    """

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


class UnknownPurpose(ConsentRequestError):
    """No purpose of that id is declared."""


class ConsentConflict(ConsentRequestError):
    """The change does not fit the consent's current state (e.g. withdrawing none)."""


def purpose_of(platform: Platform, purpose_id: str) -> Purpose:
    """The declared purpose ``purpose_id``; :class:`UnknownPurpose` if there is none."""
    purpose = platform.purposes.get(purpose_id)
    if purpose is None:
        raise UnknownPurpose("purpose", f"there is no purpose {purpose_id!r}")
    return purpose


def check_language(language: str) -> str:
    if language not in LANGUAGES:
        raise ConsentRequestError("language", f"must be one of {', '.join(LANGUAGES)}")
    return language


def give_consent(
    platform: Platform,
    session: Session,
    citizen_id: str,
    purpose_id: str,
    *,
    language: str,
    collector: Collector,
) -> ConsentEvent:
    """Consent to ``purpose_id`` as its notice reads now (again: renew, or move to a new notice)."""
    purpose = purpose_of(platform, purpose_id)
    check_language(language)
    ensure_published(platform, session, [purpose])
    try:
        return record_give(
            platform,
            session,
            citizen_id,
            purpose,
            language=language,
            collector=collector,
            now=utcnow(),
        )
    except ConsentError as exc:
        raise ConsentConflict("purpose", str(exc)) from None


def withdraw_consent(
    platform: Platform,
    session: Session,
    citizen_id: str,
    purpose_id: str,
    *,
    language: str,
    collector: Collector,
) -> ConsentEvent:
    """Withdraw the consent to ``purpose_id`` and every app authorization carrying it."""
    purpose = purpose_of(platform, purpose_id)
    check_language(language)
    now = utcnow()
    revoke_authorizations_for(session, citizen_id, purpose_id)
    try:
        return record_withdrawal(
            platform,
            session,
            citizen_id,
            purpose,
            language=language,
            collector=collector,
            now=now,
        )
    except ConsentError as exc:
        raise ConsentConflict("purpose", str(exc)) from None


def revoke_authorizations_for(session: Session, citizen_id: str, purpose_id: str) -> int:
    """Withdraw the citizen's app authorizations that carry ``purpose_id``; how many."""
    now = utcnow()
    authorizations = session.scalars(
        select(OAuthAuthorization).where(
            OAuthAuthorization.citizen_id == citizen_id,
            OAuthAuthorization.withdrawn_at.is_(None),
        )
    )
    carrying = [a.id for a in authorizations if purpose_id in a.purposes]
    return sum(withdraw_authorization(session, a, now) for a in carrying)
