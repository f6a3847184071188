"""Consent records: giving and withdrawing consent, and the history of both.

Every change of mind appends one event to ``consent_events`` with the fields of
ISO/IEC TS 27560 that apply (record id, subject pseudonym, purpose, notice
version and language, legal basis, controller, collection method, event time,
validity, state) and a signed receipt. Nothing here updates or deletes a row
of that log; in the same transaction each event also becomes its subject's row
of the derived projection ``consent_current`` (:mod:`consent.current`), which
is updated in place and is not history.

Consent is opt-in: no event, no use. Giving again renews the validity and moves
the consent to the current notice version. Expiry is never written lazily: it
follows from ``valid_until`` whenever a state or eligibility is asked for.

The caller passes the connection (and commits), the clock and the issuer with
the signing key, so the portal, the consent API and the OAuth consent screen
are thin wrappers::

    event = give(conn, citizen_id, purposes["transport-planning"], language="en",
                 method="portal", now=utcnow(), issuer=issuer)
    event.document()  # the signed receipt, to download

:mod:`consent.bulk` does the same for many citizens at once.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, insert, select
from sqlalchemy.orm import Session

from consent.current import project_events
from consent.notices import NoticeVersion, current_notice, get_notice
from consent.purposes import Purpose
from consent.receipts import ALGORITHM, ReceiptIssuer, build_receipt, canonical_json, sign
from consent.tables import METHODS, SUBJECT_ID_LENGTH, consent_events, from_db, to_utc


class ConsentError(ValueError):
    """A consent change that cannot be made; nothing was written."""


@dataclass(frozen=True, slots=True)
class ConsentEvent:
    """One row of the consent log, with its signed receipt."""

    record_id: str
    subject_id: str
    purpose_id: str
    notice_version: int
    language: str
    legal_basis: str
    controller: str
    collection_method: str
    client_id: str | None
    event_time: datetime
    valid_until: datetime | None
    state: str
    receipt: dict[str, Any]
    signature: str

    @classmethod
    def from_row(cls, row: Row[Any]) -> ConsentEvent:
        return cls(
            record_id=row.record_id,
            subject_id=row.subject_id,
            purpose_id=row.purpose_id,
            notice_version=row.notice_version,
            language=row.language,
            legal_basis=row.legal_basis,
            controller=row.controller,
            collection_method=row.collection_method,
            client_id=row.client_id,
            event_time=from_db(row.event_time),
            valid_until=from_db(row.valid_until) if row.valid_until is not None else None,
            state=row.state,
            receipt=json.loads(row.receipt),
            signature=row.signature,
        )

    def document(self) -> dict[str, Any]:
        """The signed receipt document the citizen downloads."""
        return {"alg": ALGORITHM, "receipt": self.receipt, "signature": self.signature}


def give(
    conn: Connection | Session,
    subject_id: str,
    purpose: Purpose,
    *,
    language: str,
    method: str,
    now: datetime,
    issuer: ReceiptIssuer,
    client_id: str | None = None,
) -> ConsentEvent:
    """Record that ``subject_id`` consents to ``purpose`` as its notice reads at ``now``.

    ``method`` is how consent was collected: ``portal``, ``oauth`` (the OAuth
    consent screen, which must pass its ``client_id``) or ``api``. The consent
    is valid until ``now`` plus the purpose's ``consent_validity``. Raises
    :class:`ConsentError` if the current notice was not published with
    :func:`consent.notices.sync_notices` or differs from ``purpose``'s text.
    """
    now = to_utc(now)
    check_request(subject_id, purpose, language, method, client_id)
    notice = notice_in_force(conn, purpose, now)
    check_order(_latest_event(conn, subject_id, purpose.id), now)
    return _append(
        conn,
        new_event(
            issuer,
            subject_id=subject_id,
            purpose=purpose,
            notice=notice,
            language=language,
            method=method,
            client_id=client_id,
            state="given",
            now=now,
            valid_until=to_utc(purpose.consent_valid_until(now)),
        ),
    )


def withdraw(
    conn: Connection | Session,
    subject_id: str,
    purpose: Purpose,
    *,
    language: str,
    method: str,
    now: datetime,
    issuer: ReceiptIssuer,
    client_id: str | None = None,
) -> ConsentEvent:
    """Record that ``subject_id`` withdraws their consent to ``purpose`` at ``now``.

    Takes effect for everything asked at or after ``now``. Raises
    :class:`ConsentError` when the latest event is not a grant (nothing to
    withdraw). The withdrawal names the notice version it withdraws.
    """
    now = to_utc(now)
    check_request(subject_id, purpose, language, method, client_id)
    latest = _latest_event(conn, subject_id, purpose.id)
    if latest is None or latest.state != "given":
        raise ConsentError(f"no consent to purpose {purpose.id!r} to withdraw")
    check_order(latest, now)
    notice = get_notice(conn, purpose.id, latest.notice_version)
    if notice is None:  # the foreign key makes this unreachable unless rows were deleted
        raise ConsentError(f"notice version {latest.notice_version} of {purpose.id!r} is missing")
    return _append(
        conn,
        new_event(
            issuer,
            subject_id=subject_id,
            purpose=purpose,
            notice=notice,
            language=language,
            method=method,
            client_id=client_id,
            state="withdrawn",
            now=now,
            valid_until=None,
        ),
    )


def history(conn: Connection | Session, subject_id: str) -> list[ConsentEvent]:
    """Every consent event of ``subject_id``, oldest first."""
    rows = conn.execute(
        select(consent_events)
        .where(consent_events.c.subject_id == subject_id)
        .order_by(consent_events.c.event_time, consent_events.c.seq)
    )
    return [ConsentEvent.from_row(row) for row in rows]


def find_event(conn: Connection | Session, subject_id: str, record_id: str) -> ConsentEvent | None:
    """One event of ``subject_id`` by its record id (``None`` if not theirs or unknown)."""
    row = conn.execute(
        select(consent_events).where(
            consent_events.c.subject_id == subject_id, consent_events.c.record_id == record_id
        )
    ).one_or_none()
    return None if row is None else ConsentEvent.from_row(row)


def check_request(
    subject_id: str, purpose: Purpose, language: str, method: str, client_id: str | None
) -> None:
    """Refuse a malformed change (subject, language, method, client) before any query."""
    if not subject_id or len(subject_id) > SUBJECT_ID_LENGTH:
        raise ConsentError("subject_id must be a citizen pseudonym of 1 to 40 characters")
    if language not in purpose.notice:
        raise ConsentError(f"purpose {purpose.id!r} has no notice in language {language!r}")
    if method not in METHODS:
        raise ConsentError(f"collection method {method!r} is not one of {', '.join(METHODS)}")
    if method == "oauth" and not client_id:
        raise ConsentError("consent collected on the OAuth consent screen needs its client_id")


def _latest_event(
    conn: Connection | Session, subject_id: str, purpose_id: str
) -> Row[Any, Any, Any] | None:
    ce = consent_events
    return conn.execute(
        select(ce.c.state, ce.c.event_time, ce.c.notice_version)
        .where(ce.c.subject_id == subject_id, ce.c.purpose_id == purpose_id)
        .order_by(ce.c.event_time.desc(), ce.c.seq.desc())
        .limit(1)
    ).one_or_none()


def check_order(latest: Row[*tuple[Any, ...]] | None, now: datetime) -> None:
    """Refuse an event dated before the last one: the log's order must be its time order."""
    if latest is not None and from_db(latest.event_time) > now:
        raise ConsentError(
            f"event time {now.isoformat()} is before the last consent event "
            f"({from_db(latest.event_time).isoformat()}); check the server clock"
        )


def notice_in_force(conn: Connection | Session, purpose: Purpose, now: datetime) -> NoticeVersion:
    """The notice version in force at ``now``, which must be ``purpose``'s current text."""
    notice = current_notice(conn, purpose.id, now)
    if notice is None or notice.notice_hash != purpose.notice_hash:
        raise ConsentError(
            f"the notice of purpose {purpose.id!r} in force is not the one given; "
            "publish it with sync_notices first"
        )
    return notice


def _append(conn: Connection | Session, event: ConsentEvent) -> ConsentEvent:
    """Store one event and bring the ``consent_current`` projection up to date."""
    conn.execute(insert(consent_events).values(event_row(event)))
    project_events(conn, [event.record_id])
    return event


def new_event(
    issuer: ReceiptIssuer,
    *,
    subject_id: str,
    purpose: Purpose,
    notice: NoticeVersion,
    language: str,
    method: str,
    client_id: str | None,
    state: str,
    now: datetime,
    valid_until: datetime | None,
) -> ConsentEvent:
    """A new event with a fresh record id and its signed receipt (not yet stored)."""
    record_id = str(uuid.uuid4())
    receipt = build_receipt(
        issuer,
        record_id=record_id,
        subject_id=subject_id,
        purpose=purpose,
        notice=notice,
        language=language,
        method=method,
        client_id=client_id,
        state=state,
        event_time=now,
        valid_until=valid_until,
    )
    return ConsentEvent(
        record_id=record_id,
        subject_id=subject_id,
        purpose_id=purpose.id,
        notice_version=notice.version,
        language=language,
        legal_basis=purpose.legal_basis,
        controller=purpose.controller,
        collection_method=method,
        client_id=client_id,
        event_time=now,
        valid_until=valid_until,
        state=state,
        receipt=receipt,
        signature=sign(receipt, issuer.signing_key),
    )


def event_row(event: ConsentEvent) -> dict[str, Any]:
    """The ``consent_events`` row of an event (the receipt in canonical JSON)."""
    return {
        "record_id": event.record_id,
        "subject_id": event.subject_id,
        "purpose_id": event.purpose_id,
        "notice_version": event.notice_version,
        "language": event.language,
        "legal_basis": event.legal_basis,
        "controller": event.controller,
        "collection_method": event.collection_method,
        "client_id": event.client_id,
        "event_time": event.event_time,
        "valid_until": event.valid_until,
        "state": event.state,
        "receipt": canonical_json(event.receipt).decode("utf-8"),
        "signature": event.signature,
    }
