"""Writing one consent event through the consent domain, signed and audited.

The lowest layer of the service, shared by the portal, the consent API and the
OAuth consent screen (:mod:`civicdata.oauth.authorizations`), so it imports
nothing from the OAuth package. The audit entry names the citizen only by
pseudonym (``subject``) and the purpose; the caller commits right after.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from civicdata.audit import record_event
from civicdata.consents.issuers import receipt_issuer
from civicdata.context import Platform
from consent.purposes import Purpose
from consent.records import ConsentEvent, give, withdraw


@dataclass(frozen=True)
class Collector:
    """How a change was collected (``portal``, ``api``, ``oauth``), by which app, and who acted."""

    method: str
    actor: str
    client_id: str | None = None


def record_give(
    platform: Platform,
    session: Session,
    citizen_id: str,
    purpose: Purpose,
    *,
    language: str,
    collector: Collector,
    now: datetime,
) -> ConsentEvent:
    """Give consent (:func:`consent.records.give`) and audit it; raises ``ConsentError``."""
    return _record(give, platform, session, citizen_id, purpose, language, collector, now)


def record_withdrawal(
    platform: Platform,
    session: Session,
    citizen_id: str,
    purpose: Purpose,
    *,
    language: str,
    collector: Collector,
    now: datetime,
) -> ConsentEvent:
    """Withdraw consent (:func:`consent.records.withdraw`) and audit it; raises ``ConsentError``."""
    return _record(withdraw, platform, session, citizen_id, purpose, language, collector, now)


def _record(
    change: Callable[..., ConsentEvent],
    platform: Platform,
    session: Session,
    citizen_id: str,
    purpose: Purpose,
    language: str,
    collector: Collector,
    now: datetime,
) -> ConsentEvent:
    event = change(
        session,
        citizen_id,
        purpose,
        language=language,
        method=collector.method,
        now=now,
        issuer=receipt_issuer(platform, purpose),
        client_id=collector.client_id,
    )
    _audit(session, event, collector)
    return event


def _audit(session: Session, event: ConsentEvent, collector: Collector) -> None:
    record_event(
        session,
        actor=collector.actor,
        action=f"consent.{'give' if event.state == 'given' else 'withdraw'}",
        resource=event.record_id,
        subject=event.subject_id,
        purpose=event.purpose_id,
        method=event.collection_method,
        client=event.client_id,
        notice_version=event.notice_version,
    )
