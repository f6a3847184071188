"""Storing signed releases and finding one to serve again.

A stored release keeps its canonical JSON document and signature verbatim, so
what is served later is byte for byte what was signed. Contributions are
written with one ``INSERT ... SELECT``: the citizens who have records in the
dataset and whose consent to the purpose was active when the records were read.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicdata.models import StoredRelease
from policies.periods import Window


@dataclass(frozen=True, slots=True)
class Published:
    """A release as the API shows it: the signed document and its signature."""

    id: str
    document: dict[str, Any]
    signature: str
    key_id: str
    department: str

    @classmethod
    def of(cls, row: StoredRelease) -> Published:
        return cls(row.id, json.loads(row.document), row.signature, row.key_id, row.department)


def new_release_id() -> str:
    return "rel-" + secrets.token_hex(12)


def find_reusable(
    session: Session, query_hash: str, policy_id: str, policy_set_hash: str, window: Window
) -> StoredRelease | None:
    """The newest release of the same query, policy and policy set in the budget window."""
    created = StoredRelease.created_at
    in_window = created >= window.start if window.include_start else created > window.start
    return session.scalars(
        select(StoredRelease)
        .where(
            StoredRelease.query_hash == query_hash,
            StoredRelease.policy_id == policy_id,
            StoredRelease.policy_set_hash == policy_set_hash,
            in_window,
        )
        .order_by(created.desc())
        .limit(1)
    ).first()


def get_release(session: Session, release_id: str) -> Published | None:
    row = session.get(StoredRelease, release_id)
    return None if row is None else Published.of(row)


def department_releases(
    session: Session, department: str | None, limit: int = 200
) -> list[StoredRelease]:
    """The newest releases of a department (of every department for ``None``)."""
    query = select(StoredRelease).order_by(StoredRelease.created_at.desc()).limit(limit)
    if department is not None:
        query = query.where(StoredRelease.department == department)
    return list(session.scalars(query))
