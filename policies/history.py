"""The history of policy sets: which policies were in force at any moment.

Each load of a policy set is recorded with its load time unless the same
content is already the one in force then; :func:`policy_set_at` returns the
set in force at a time (the latest loaded at or before it). The stored content
is re-hashed on every read, so an edited history row is refused.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Row, select

from policies.model import PolicySet
from policies.tables import policy_sets


class HistoryError(ValueError):
    """A stored policy set does not match its recorded hash."""


@dataclass(frozen=True, slots=True)
class RecordedSet:
    """A policy set as it was in force from ``loaded_at``."""

    content_hash: str
    loaded_at: datetime
    policy_set: PolicySet


def record_policy_set(conn: Connection, policy_set: PolicySet, loaded_at: datetime) -> bool:
    """Record ``policy_set`` as loaded at ``loaded_at``; ``False`` if it was already in force."""
    current = _row_at(conn, loaded_at)
    content_hash = policy_set.content_hash
    if current is not None and current.content_hash == content_hash:
        return False
    conn.execute(
        policy_sets.insert().values(
            content_hash=content_hash,
            content=policy_set.canonical_json(),
            loaded_at=_utc(loaded_at),
        )
    )
    return True


def policy_set_at(conn: Connection, when: datetime) -> RecordedSet | None:
    """The policy set in force at ``when``, or ``None`` before the first load."""
    row = _row_at(conn, when)
    if row is None:
        return None
    content_hash = hashlib.sha256(row.content.encode("utf-8")).hexdigest()
    if content_hash != row.content_hash:
        raise HistoryError(f"policy set loaded at {row.loaded_at} does not match its hash")
    loaded_at = row.loaded_at
    loaded_at = loaded_at.replace(tzinfo=UTC) if loaded_at.tzinfo is None else loaded_at
    return RecordedSet(
        content_hash, loaded_at.astimezone(UTC), PolicySet.from_canonical_json(row.content)
    )


def _row_at(conn: Connection, when: datetime) -> Row[Any] | None:
    query = (
        select(policy_sets)
        .where(policy_sets.c.loaded_at <= _utc(when))
        .order_by(policy_sets.c.loaded_at.desc(), policy_sets.c.id.desc())
        .limit(1)
    )
    return conn.execute(query).first()


def _utc(when: datetime) -> datetime:
    if when.tzinfo is None:
        raise ValueError("naive datetime given; use an aware UTC datetime")
    return when.astimezone(UTC)
