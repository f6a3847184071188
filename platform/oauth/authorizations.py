"""Citizens' authorizations of apps: the seam between OAuth and the consent domain.

The consent screen calls :func:`record_authorization`, which keeps the
``oauth_authorizations`` record (granted purpose scopes, notice versions,
expiry) and gives one consent event per granted purpose through the consent
domain (method "oauth", the client id). Every token check calls
:func:`authorization_is_active`, which also requires each granted purpose's
consent to be active (:func:`consent.eligibility.is_active`), so a consent
withdrawn or expired anywhere stops the app's tokens. The portal's "revoke
this app" (:func:`civicdata.consents.apps.revoke_app`) withdraws the consents
the app collected, then calls :func:`withdraw_app`.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from civicdata.consents.issuers import ensure_published
from civicdata.consents.recording import Collector, record_give
from civicdata.db import utcnow
from civicdata.identity.models import Account
from civicdata.oauth import scopes as scope_lib
from civicdata.oauth.models import OAuthAuthorization, OAuthClient, OAuthCode, OAuthToken
from civicdata.request_scope import current_platform
from consent.eligibility import is_active
from consent.purposes import Purpose


def record_authorization(
    session: Session,
    *,
    account: Account,
    client: OAuthClient,
    scope: str,
    purposes: Mapping[str, Purpose],
    language: str,
    now: datetime,
) -> OAuthAuthorization:
    """Record what the citizen granted on the consent screen (``scope`` as granted).

    Each granted purpose becomes a consent event (and an audit entry) in ``session``.
    """
    if account.citizen_id is None:
        raise ValueError("only citizens authorize apps")
    granted = [purposes[p] for p in scope_lib.purposes_in(scope_lib.split(scope))]
    platform = current_platform()
    if ensure_published(platform, session, granted):  # before this session writes
        now = max(now, utcnow())  # the notices just published are in force from now on
    expires_at = min((p.consent_valid_until(now) for p in granted), default=None)
    authorization = OAuthAuthorization(
        id="az-" + secrets.token_hex(12),
        account_id=account.id,
        citizen_id=account.citizen_id,
        client_id=client.client_id,
        scope=scope,
        language=language,
        notices={p.id: p.notice_hash for p in granted},
        given_at=now,
        expires_at=expires_at,
    )
    session.add(authorization)
    session.flush()
    collector = Collector(method="oauth", actor=account.citizen_id, client_id=client.client_id)
    for purpose in granted:
        record_give(
            platform,
            session,
            account.citizen_id,
            purpose,
            language=language,
            collector=collector,
            now=now,
        )
    return authorization


def authorization_is_active(session: Session, authorization_id: str, now: datetime) -> bool:
    """Does the citizen's grant still hold: not withdrawn, not expired, every purpose consented?"""
    authorization = session.get(OAuthAuthorization, authorization_id)
    return (
        authorization is not None
        and authorization.withdrawn_at is None
        and (authorization.expires_at is None or authorization.expires_at > now)
        and all(
            is_active(session, authorization.citizen_id, purpose, now)
            for purpose in authorization.purposes
        )
    )


def withdraw_authorization(session: Session, authorization_id: str, now: datetime) -> bool:
    """Withdraw a grant: revoke every token and unused code issued under it."""
    authorization = session.get(OAuthAuthorization, authorization_id)
    if authorization is None or authorization.withdrawn_at is not None:
        return False
    authorization.withdrawn_at = now
    session.execute(
        update(OAuthToken)
        .where(OAuthToken.authorization_id == authorization_id, OAuthToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    session.execute(
        update(OAuthCode)
        .where(OAuthCode.authorization_id == authorization_id, OAuthCode.used_at.is_(None))
        .values(used_at=now)
    )
    return True


def active_authorizations(
    session: Session, citizen_id: str, now: datetime
) -> list[OAuthAuthorization]:
    """The citizen's grants that still hold, newest first (for "apps you authorised")."""
    rows = session.scalars(
        select(OAuthAuthorization)
        .where(
            OAuthAuthorization.citizen_id == citizen_id, OAuthAuthorization.withdrawn_at.is_(None)
        )
        .order_by(OAuthAuthorization.given_at.desc())
    )
    return [a for a in rows if authorization_is_active(session, a.id, now)]


def withdraw_app(session: Session, citizen_id: str, client_id: str, now: datetime) -> int:
    """Withdraw every grant the citizen gave ``client_id``; returns how many."""
    ids = session.scalars(
        select(OAuthAuthorization.id).where(
            OAuthAuthorization.citizen_id == citizen_id,
            OAuthAuthorization.client_id == client_id,
            OAuthAuthorization.withdrawn_at.is_(None),
        )
    ).all()
    return sum(withdraw_authorization(session, a, now) for a in ids)
