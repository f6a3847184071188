"""The apps a citizen authorised through OAuth, and revoking one.

Revoking an app withdraws the consents it collected (purposes whose latest
event was given on the consent screen for that app), then every authorization
given to it, which revokes its tokens and unused codes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from civicdata.audit import record_event
from civicdata.consents.recording import Collector, record_withdrawal
from civicdata.context import Platform
from civicdata.db import utcnow
from civicdata.oauth.authorizations import active_authorizations, withdraw_app
from civicdata.oauth.models import OAuthClient
from consent.records import history


@dataclass(frozen=True)
class AuthorisedApp:
    """One app the citizen authorised, and what it may do."""

    client_id: str
    name: str
    scopes: list[str]
    purposes: list[str]
    given_at: datetime
    expires_at: datetime | None


def authorised_apps(session: Session, citizen_id: str) -> list[AuthorisedApp]:
    """The citizen's authorizations that still hold, newest first."""
    apps = []
    for authorization in active_authorizations(session, citizen_id, utcnow()):
        client = session.get(OAuthClient, authorization.client_id)
        apps.append(
            AuthorisedApp(
                client_id=authorization.client_id,
                name=client.name if client else authorization.client_id,
                scopes=authorization.scope.split(),
                purposes=authorization.purposes,
                given_at=authorization.given_at,
                expires_at=authorization.expires_at,
            )
        )
    return apps


def revoke_app(
    platform: Platform, session: Session, citizen_id: str, client_id: str, *, language: str
) -> tuple[int, list[str]]:
    """Withdraw what ``client_id`` collected and its authorizations; (authorizations, purposes)."""
    latest = {event.purpose_id: event for event in history(session, citizen_id)}
    collected = [
        event.purpose_id
        for event in latest.values()
        if event.state == "given"
        and event.collection_method == "oauth"
        and event.client_id == client_id
        and event.purpose_id in platform.purposes
    ]
    revoked = withdraw_app(session, citizen_id, client_id, utcnow())
    collector = Collector(method="portal", actor=citizen_id)
    for purpose_id in collected:
        record_withdrawal(
            platform,
            session,
            citizen_id,
            platform.purposes[purpose_id],
            language=language,
            collector=collector,
            now=utcnow(),
        )
    if revoked:
        record_event(
            session,
            actor=citizen_id,
            action="oauth.revoke_app",
            resource=client_id,
            subject=citizen_id,
            authorizations=revoked,
            purposes=collected,
        )
    return revoked, collected
