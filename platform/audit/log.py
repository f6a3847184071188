"""Appending entries: canonical JSON, gapless index under a head-row lock, signature."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from civicdata.audit.columns import columns_of
from civicdata.audit.merkle import leaf_hash
from civicdata.db import insert_or_skip, utcnow
from civicdata.models import AuditEvent, AuditHead
from civicdata.signing.store import Signer

FORBIDDEN_KEYS = frozenset({"password", "secret", "token", "email", "name", "code", "value"})
SIGNER_KEY = "audit_signer"
ENTRY_SIGNATURE_CONTEXT = b"civic-audit-entry/v1\n"


def canonical_json(document: Any) -> bytes:
    """Sorted keys, no whitespace, UTF-8: the bytes that are hashed and signed."""
    return json.dumps(
        document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def iso_utc(moment: datetime) -> str:
    """``2026-11-23T16:40:00.123456Z``: one textual form for every timestamp."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entry_signing_input(index: int, leaf: bytes) -> bytes:
    """What each entry's signature covers: its position and its leaf hash."""
    return ENTRY_SIGNATURE_CONTEXT + index.to_bytes(8, "big") + leaf


def _signer(session: Session) -> Signer:
    provider: Callable[[], Signer] | None = session.info.get(SIGNER_KEY)
    if provider is None:
        raise RuntimeError("this session cannot write audit entries: it has no audit signer")
    return provider()


def _next_index(session: Session) -> int:
    """Take the head row's lock (held until commit) and reserve the next index."""
    bump = update(AuditHead).where(AuditHead.id == 1).values(size=AuditHead.size + 1)
    size = session.execute(bump.returning(AuditHead.size)).scalar_one_or_none()
    if size is None:
        head = insert_or_skip(session, AuditHead.__table__).values(id=1, size=0)
        session.execute(head.on_conflict_do_nothing())
        size = session.execute(bump.returning(AuditHead.size)).scalar_one()
    return size - 1


def record_event(
    session: Session,
    *,
    actor: str,
    action: str,
    resource: str = "",
    decision: str = "ok",
    **details: Any,
) -> AuditEvent:
    """Append an audit entry in ``session``'s transaction (committed with the action).

    The head-row lock is held until the transaction ends, so record the event
    as the last step before committing.
    """
    leaked = FORBIDDEN_KEYS.intersection(details)
    if leaked:
        raise ValueError(f"audit details must not carry {', '.join(sorted(leaked))}")
    signer = _signer(session)
    index = _next_index(session)
    at = utcnow()
    text = canonical_json(
        {
            "index": index,
            "kid": signer.kid,
            "at": iso_utc(at),
            "actor": actor,
            "action": action,
            "resource": resource,
            "decision": decision,
            "details": details,
        }
    )
    leaf = leaf_hash(text)
    entry = text.decode("utf-8")
    event = AuditEvent(
        id=index,
        entry=entry,
        leaf_hash=leaf,
        signature=signer.ed25519.sign(entry_signing_input(index, leaf)),
        **columns_of(entry),  # the filterable columns say only what the signed text says
    )
    session.add(event)
    session.flush()
    return event


def record_event_committed(sessions: sessionmaker[Session], **fields: Any) -> AuditEvent:
    """Append an entry in a transaction of its own, for denials and failures.

    Call it before the request's own transaction has written anything (or after
    rolling it back): a request holding the head-row lock would wait on itself.
    """
    with sessions() as session:
        event = record_event(session, **fields)
        session.commit()
        return event
