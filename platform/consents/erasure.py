"""Erasing a citizen at their request, with a signed erasure receipt.

In one transaction: every standing consent is withdrawn (so nothing counts any
more, and the withdrawals get receipts like any other), every app
authorization and token is revoked, the data key is destroyed and records,
identity and look-ups deleted (:func:`civicdata.citizens.erase_citizen`), and
the account is closed: its login digest replaced by random bytes (the email
may register again), its password unusable, its sessions ended. What stays is
the pseudonymous tombstone, the consent history and the audit log.
"""

from __future__ import annotations

import os
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from civicdata.audit import record_event
from civicdata.citizens import erase_citizen
from civicdata.consents.issuers import PORTAL_PATH
from civicdata.consents.recording import Collector, record_withdrawal
from civicdata.context import Platform
from civicdata.db import utcnow
from civicdata.identity.models import Account
from civicdata.identity.sessions import end_all_sessions
from civicdata.models import Citizen, RecordBlock
from civicdata.oauth.authorizations import withdraw_authorization
from civicdata.oauth.models import OAuthAuthorization, OAuthToken
from consent.receipts import public_key_pem, signed_document
from consent.records import history

RECEIPT_VERSION = "civic-erasure-receipt/v1"
CLOSED_PASSWORD = "!erased"  # noqa: S105 - not a hash: no password ever matches it


class ErasureError(ValueError):
    """The erasure was not made; ``field`` names what was missing."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


def erase_me(
    platform: Platform, session: Session, account: Account, *, confirmed: bool, language: str
) -> dict[str, Any]:
    """Erase the signed-in citizen; return the signed erasure receipt. The caller commits."""
    if not confirmed:
        raise ErasureError("confirm", "tick the box to confirm that you want to be erased")
    citizen_id = account.citizen_id
    citizen = session.get(Citizen, citizen_id) if citizen_id else None
    if citizen_id is None or citizen is None or citizen.erased_at is not None:
        raise ErasureError("account", "this account holds no citizen data to erase")
    now = utcnow()
    signer = platform.signing.current("receipts")
    withdrawn = _withdraw_all(platform, session, citizen_id, language)
    blocks = dict(
        session.execute(
            select(RecordBlock.dataset, func.count())
            .where(RecordBlock.citizen_id == citizen_id)
            .group_by(RecordBlock.dataset)
        ).all()
    )
    erase_citizen(session, platform.vault, citizen_id)
    revoked = close_account(session, account, citizen_id)
    receipt = {
        "version": RECEIPT_VERSION,
        "type": "erasure",
        "piiPrincipalId": citizen_id,
        "erasedAt": now.isoformat(),
        "jurisdiction": platform.catalog.city_name,
        "piiControllers": [
            {
                "piiController": platform.catalog.city_name,
                "contact": f"{platform.config.public_url}{PORTAL_PATH}",
            }
        ],
        "publicKey": public_key_pem(signer.ed25519.public_key()),
        "kid": signer.kid,
        "erased": {
            "dataKey": "destroyed: every record ciphertext is undecryptable",
            "identity": ["name", "email"],
            "recordBlocks": blocks,
            "account": "closed; the email address is no longer linked",
        },
        "consentsWithdrawn": withdrawn,
        "authorizationsRevoked": revoked,
        "kept": "the consent history and audit entries, under the pseudonym only",
    }
    record_event(
        session,
        actor=citizen_id,
        action="citizen.erase",
        resource=citizen_id,
        subject=citizen_id,
        consents_withdrawn=len(withdrawn),
        authorizations_revoked=revoked,
        record_blocks=sum(blocks.values()),
    )
    return signed_document(receipt, signer.ed25519)


def close_account(session: Session, account: Account, citizen_id: str) -> int:
    """Revoke the account's apps and tokens, end its sessions, make it unusable.

    Returns how many app authorizations were withdrawn.
    """
    revoked = _revoke_apps(session, account, citizen_id)
    account.disabled_at = utcnow()
    account.password_hash = CLOSED_PASSWORD
    account.login_digest = os.urandom(32)
    end_all_sessions(session, account)
    return revoked


def replay_erasure(platform: Platform, session: Session, citizen_id: str) -> bool:
    """Erase again a citizen a restored backup brought back; ``False`` if nothing was left.

    Destroys the data key and deletes records, identity and look-ups, and
    closes the account, exactly as the original erasure did. The consent
    withdrawals it made are not re-created: without key and records the
    citizen contributes nothing, and their receipts stay verifiable.
    """
    erased = erase_citizen(session, platform.vault, citizen_id)
    accounts = session.scalars(
        select(Account).where(Account.citizen_id == citizen_id, Account.disabled_at.is_(None))
    ).all()
    for account in accounts:
        close_account(session, account, citizen_id)
    return erased or bool(accounts)


def _withdraw_all(
    platform: Platform, session: Session, citizen_id: str, language: str
) -> list[dict[str, str]]:
    """Withdraw every purpose whose latest event is a grant, even an expired one."""
    latest = {event.purpose_id: event for event in history(session, citizen_id)}
    collector = Collector(method="portal", actor=citizen_id)
    withdrawn = []
    for purpose_id, event in latest.items():
        if event.state != "given" or purpose_id not in platform.purposes:
            continue
        withdrawal = record_withdrawal(
            platform,
            session,
            citizen_id,
            platform.purposes[purpose_id],
            language=language,
            collector=collector,
            now=utcnow(),
        )
        withdrawn.append({"purpose": purpose_id, "record_id": withdrawal.record_id})
    return withdrawn


def _revoke_apps(session: Session, account: Account, citizen_id: str) -> int:
    """Withdraw every authorization and revoke any token left on the account."""
    now = utcnow()
    ids = session.scalars(
        select(OAuthAuthorization.id).where(
            OAuthAuthorization.citizen_id == citizen_id, OAuthAuthorization.withdrawn_at.is_(None)
        )
    ).all()
    revoked = sum(withdraw_authorization(session, a, now) for a in ids)
    session.execute(
        update(OAuthToken)
        .where(OAuthToken.account_id == account.id, OAuthToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return revoked
