"""A citizen's privacy loss: the releases that used their records, and totals per dataset.

Each release charged the whole epsilon it spent to every contributor (the
privacy unit is the citizen). Per dataset, the total in the city-wide cap's
current window is shown against the cap, which bounds it: every release on a
dataset is charged to that dataset's cap as well.

Who contributed is derived, not stored: a release read the records of exactly
the citizens whose consent to its purpose was active at the instant it checked
consents (``consent_checked_at``, from the append-only consent history) and
who held records of its dataset then (a block created before that instant).
So a release writes no row per citizen, and the answer cannot drift from the
consent log it was computed from.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, func, select
from sqlalchemy.orm import Session

from civicdata.models import RecordBlock, StoredRelease
from consent.eligibility import is_active
from policies.budget import EPSILON_UNIT, from_units
from policies.model import PolicySet


@dataclass(frozen=True, slots=True)
class UsedIn:
    """One release that used the citizen's records."""

    release_id: str
    created_at: datetime
    department: str
    dataset: str
    purpose: str
    epsilon: Decimal


@dataclass(frozen=True, slots=True)
class DatasetLoss:
    """A citizen's loss on one dataset: in the cap's current window, and all time."""

    dataset: str
    in_window: Decimal
    cap: Decimal
    period: str
    all_time: Decimal


@dataclass(frozen=True, slots=True)
class CitizenLoss:
    """What a citizen's records were used for, and their loss per dataset."""

    releases: list[UsedIn]
    datasets: list[DatasetLoss]


def privacy_loss(
    session: Session, policy_set: PolicySet, citizen_id: str, now: datetime
) -> CitizenLoss:
    """What the citizen's records were used for, newest first, and the totals per dataset."""
    releases = [
        UsedIn(r.id, r.created_at, r.department, r.dataset, r.purpose, _epsilon(r.epsilon_units))
        for r in _candidate_releases(session, citizen_id)
        if is_active(session, citizen_id, r.purpose, r.consent_checked_at)
    ]
    datasets = []
    for dataset in sorted({r.dataset for r in releases} | set(policy_set.city_caps)):
        mine = [r for r in releases if r.dataset == dataset]
        cap = policy_set.city_caps.get(dataset)
        if cap is None:  # a dataset no longer capped: show its history only
            continue
        window = cap.period.window(now)
        datasets.append(
            DatasetLoss(
                dataset,
                sum((r.epsilon for r in mine if window.contains(r.created_at)), Decimal(0)),
                cap.epsilon,
                cap.period.label,
                sum((r.epsilon for r in mine), Decimal(0)),
            )
        )
    return CitizenLoss(releases, datasets)


def _candidate_releases(session: Session, citizen_id: str) -> list[Row[Any]]:
    """Releases of datasets the citizen held records of when the release checked consents."""
    first_block = (
        select(RecordBlock.dataset, func.min(RecordBlock.created_at).label("since"))
        .where(RecordBlock.citizen_id == citizen_id)
        .group_by(RecordBlock.dataset)
        .subquery()
    )
    return list[Any](
        session.execute(
            select(
                StoredRelease.id,
                StoredRelease.created_at,
                StoredRelease.department,
                StoredRelease.dataset,
                StoredRelease.purpose,
                StoredRelease.epsilon_units,
                StoredRelease.consent_checked_at,
            )
            .join(first_block, first_block.c.dataset == StoredRelease.dataset)
            .where(first_block.c.since <= StoredRelease.consent_checked_at)
            .order_by(StoredRelease.created_at.desc())
        ).all()
    )


def _epsilon(units: int) -> Decimal:
    return from_units(units, EPSILON_UNIT).normalize()
