"""What the public transparency page, its Atom feed and its JSON mirror show.

Everything here is assembled from sources that reveal no more than the public
releases themselves:

- releases: only the ``public_releases`` table, the signed public statements
  of releases whose policy was public when they were made (never the
  ``releases`` table, so a non-public release's values cannot be reached),
  without who asked beyond the department;
- budgets: per dataset, the epsilon charged in the current window of its
  city-wide cap and per calendar month, summed over every department (no
  per-department or per-grant figure, no renewal instant, no release count);
- the policies in force, which the city publishes anyway;
- the latest checkpoint witnesses cosigned: a tree size and root, which say
  how long the log is and nothing of what it holds.

No denial, no audit entry, no citizen and no analyst is read.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicdata.audit.checkpoints import CheckpointError
from civicdata.audit.export import witnessed_note
from civicdata.audit.keys import checkpoint_key
from civicdata.context import Platform
from civicdata.models import PublicRelease
from civicdata.releases import publication
from civicdata.releases.budgets import city_budgets, spending_by_month
from civicdata.releases.query_words import QueryWords, describe_query
from civicdata.signing.material import SigningKeyError
from civicdata.witness.client import cosignatures_of, latest_witnessed, parse_witnesses
from policies.budget import text
from policies.history import policy_set_at
from policies.model import Policy, PolicySet

PAGE = 20
MAX_PAGE = 100
MONTHS_SHOWN = 12
KEYS_PATH = "/.well-known/civic-keys"  # the published key history that checks every signature


@dataclass(frozen=True, slots=True)
class PublishedRelease:
    """A public release as shown: its signed statement, signature and the query in words."""

    seq: int
    statement: dict[str, Any]
    statement_text: str  # the canonical JSON exactly as signed
    signature: dict[str, str]
    published_at: datetime
    dataset_title: str
    department_name: str
    purpose_title: str
    words: QueryWords

    @property
    def id(self) -> str:
        return str(self.statement["id"])

    @property
    def query(self) -> dict[str, Any]:
        query: dict[str, Any] = self.statement["query"]
        return query

    def as_dict(self) -> dict[str, Any]:
        s = self.statement
        return {
            "id": self.id,
            "published_at": self.published_at.isoformat(),
            "dataset": self.query["dataset"],
            "dataset_title": self.dataset_title,
            "purpose": self.query["purpose"],
            "purpose_title": self.purpose_title,
            "department": s["department"],
            "department_name": self.department_name,
            "policy_id": s["policy_id"],
            "query_in_words": self.words.as_dict(),
            "mechanism": s["mechanism"],
            "epsilon": s["epsilon"],
            "delta": s.get("delta"),
            "rho": s.get("rho"),
            "cells": s["cells"],
            "release": s,
            "signature": self.signature,
        }


@dataclass(frozen=True, slots=True)
class ReleasePage:
    releases: list[PublishedRelease]
    next_before: int | None  # ``seq`` to ask for older ones, None on the last page


@dataclass(frozen=True, slots=True)
class DatasetSpending:
    """Epsilon charged on a dataset against its city-wide cap, now and per month."""

    dataset: str
    title: str
    period: str
    cap: str
    spent: str
    remaining: str
    by_month: list[dict[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "title": self.title,
            "period": self.period,
            "cap": self.cap,
            "spent": self.spent,
            "remaining": self.remaining,
            "by_month": self.by_month,
        }


@dataclass(frozen=True, slots=True)
class PoliciesInForce:
    content_hash: str
    loaded_at: datetime | None
    policies: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        loaded = None if self.loaded_at is None else self.loaded_at.isoformat()
        return {"content_hash": self.content_hash, "loaded_at": loaded, "policies": self.policies}


@dataclass(frozen=True, slots=True)
class WitnessedCheckpoint:
    """The latest checkpoint witnesses cosigned, with what a visitor needs to check it."""

    origin: str
    size: int
    root_hash: str
    at: datetime
    note: str
    key_id: str | None  # the published audit key that signed it
    cosignatures: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        return {
            "origin": self.origin,
            "size": self.size,
            "root_hash": self.root_hash,
            "at": self.at.isoformat(),
            "note": self.note,
            "key_id": self.key_id,
            "cosignatures": self.cosignatures,
        }


@dataclass(frozen=True, slots=True)
class TransparencyReport:
    city: str
    generated_at: datetime
    releases: ReleasePage
    budgets: list[DatasetSpending]
    policies: PoliciesInForce
    checkpoint: WitnessedCheckpoint | None

    def as_dict(self) -> dict[str, Any]:
        """The report as the JSON mirror serves it (each release exactly as signed)."""
        return {
            "city": self.city,
            "generated_at": self.generated_at.isoformat(),
            "keys": KEYS_PATH,
            "releases": [release.as_dict() for release in self.releases.releases],
            "next_before": self.releases.next_before,
            "budgets": [spending.as_dict() for spending in self.budgets],
            "policies": self.policies.as_dict(),
            "checkpoint": None if self.checkpoint is None else self.checkpoint.as_dict(),
        }


def public_releases(
    session: Session, platform: Platform, before: int | None = None, limit: int = PAGE
) -> ReleasePage:
    """Public releases, newest first; ``before`` pages by ``seq``."""
    limit = max(1, min(limit, MAX_PAGE))
    query = select(PublicRelease).order_by(PublicRelease.seq.desc()).limit(limit + 1)
    if before is not None:
        query = query.where(PublicRelease.seq < before)
    rows = list(session.scalars(query))
    shown = [_shown(row, platform) for row in rows[:limit]]
    return ReleasePage(shown, shown[-1].seq if len(rows) > limit else None)


def public_release(
    session: Session, platform: Platform, release_id: str
) -> PublishedRelease | None:
    """One public release by its id; ``None`` when there is no public release of that id."""
    row = session.scalar(select(PublicRelease).where(PublicRelease.release_id == release_id))
    return None if row is None else _shown(row, platform)


def _shown(row: PublicRelease, platform: Platform) -> PublishedRelease:
    statement = publication.statement_of(row)
    catalog = platform.catalog
    dataset = catalog.datasets.get(row.dataset)
    department = catalog.departments.get(row.department)
    purpose = platform.purposes.get(row.purpose)
    notice = None if purpose is None else purpose.notice.get("en")
    return PublishedRelease(
        seq=row.seq,
        statement=statement,
        statement_text=row.document,
        signature=publication.signature_block(row),
        published_at=row.published_at,
        dataset_title=row.dataset if dataset is None else dataset.title,
        department_name=row.department if department is None else department.name,
        purpose_title=row.purpose if notice is None else notice.title,
        words=describe_query(statement["query"], dataset),
    )


def dataset_spending(session: Session, platform: Platform, now: datetime) -> list[DatasetSpending]:
    """Per dataset: its cap, what all releases charged in its current window, and by month."""
    months: dict[str, list[dict[str, str]]] = defaultdict(list)
    totals: dict[tuple[str, str], Any] = defaultdict(int)
    for spend in spending_by_month(session):  # newest month first
        totals[(spend.dataset, spend.month)] += spend.epsilon
    for (dataset, month), epsilon in totals.items():
        if len(months[dataset]) < MONTHS_SHOWN:
            months[dataset].append({"month": month, "epsilon": text(epsilon)})
    out = []
    for cap in city_budgets(session, platform.policy_set, now):
        shown = cap.as_dict()
        spec = platform.catalog.datasets.get(cap.dataset)
        out.append(
            DatasetSpending(
                dataset=cap.dataset,
                title=cap.dataset if spec is None else spec.title,
                period=shown["period"],
                cap=shown["cap"],
                spent=shown["spent"],
                remaining=shown["remaining"],
                by_month=months.get(cap.dataset, []),
            )
        )
    return out


def policies_in_force(session: Session, platform: Platform, now: datetime) -> PoliciesInForce:
    """The recorded policy set in force now (the loaded one if none is recorded), readable."""
    recorded = policy_set_at(session.connection(), now)
    policy_set: PolicySet = platform.policy_set if recorded is None else recorded.policy_set
    loaded_at = None if recorded is None else recorded.loaded_at
    summaries = [
        _policy_summary(policy, platform)
        for policy in sorted(policy_set.policies, key=lambda p: p.id)
        if policy.valid_at(now)
    ]
    return PoliciesInForce(policy_set.content_hash, loaded_at, summaries)


def _policy_summary(policy: Policy, platform: Platform) -> dict[str, Any]:
    catalog = platform.catalog
    dataset = catalog.datasets.get(policy.dataset)
    department = catalog.departments.get(policy.department)
    purpose = platform.purposes.get(policy.purpose)
    notice = None if purpose is None else purpose.notice.get("en")
    measures = [
        kind if not names else f"{kind} of {', '.join(names)}"
        for kind, names in sorted(policy.measures.items())
    ]
    budget = f"ε {text(policy.budget.epsilon)}"
    if policy.budget.delta:
        budget += f", δ {text(policy.budget.delta)}"
    return {
        "id": policy.id,
        "department": policy.department,
        "department_name": policy.department if department is None else department.name,
        "dataset": policy.dataset,
        "dataset_title": policy.dataset if dataset is None else dataset.title,
        "purpose": policy.purpose,
        "purpose_title": policy.purpose if notice is None else notice.title,
        "description": policy.description,
        "measures": measures,
        "group_by": list(policy.group_by),
        "filters": [f"{name}: {', '.join(ops)}" for name, ops in sorted(policy.filters.items())],
        "mechanism": policy.mechanism,
        "max_epsilon_per_query": text(policy.max_epsilon_per_query),
        "budget": f"{budget} per {policy.period.label}",
        "valid_from": policy.valid_from.isoformat(),
        "valid_until": None if policy.valid_until is None else policy.valid_until.isoformat(),
        "approvers": list(policy.approvers),
        "public": policy.public,
    }


def witnessed_checkpoint(session: Session, platform: Platform) -> WitnessedCheckpoint | None:
    """The largest checkpoint a witness cosigned, each cosignature checked with its key.

    Only reads: a public page never signs a checkpoint (the schedule does).
    """
    checkpoint = latest_witnessed(session)
    if checkpoint is None:
        return None
    origin = platform.audit_origin
    try:
        kid: str | None = checkpoint_key(checkpoint.note, origin, platform.signing.history()).kid
    except (CheckpointError, SigningKeyError):
        kid = None  # shown as unverifiable rather than hidden
    witnesses = {w.name: w for w in parse_witnesses(platform.config.witnesses)}
    cosignatures = [
        {
            "witness": shown.witness,
            "vkey": witnesses[shown.witness].vkey if shown.witness in witnesses else None,
            "line": shown.line,
            "at": shown.at.isoformat(),
            "verified": shown.verified,
        }
        for shown in cosignatures_of(session, checkpoint, list(witnesses.values()))
    ]
    return WitnessedCheckpoint(
        origin=origin,
        size=checkpoint.size,
        root_hash=checkpoint.root_hash.hex(),
        at=checkpoint.at,
        note=witnessed_note(session, checkpoint),
        key_id=kid,
        cosignatures=cosignatures,
    )


def transparency_report(
    session: Session,
    platform: Platform,
    now: datetime,
    before: int | None = None,
    limit: int = PAGE,
) -> TransparencyReport:
    """Everything the page shows, in one read."""
    return TransparencyReport(
        city=platform.catalog.city_name,
        generated_at=now,
        releases=public_releases(session, platform, before, limit),
        budgets=dataset_spending(session, platform, now),
        policies=policies_in_force(session, platform, now),
        checkpoint=witnessed_checkpoint(session, platform),
    )
