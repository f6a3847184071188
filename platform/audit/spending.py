"""Epsilon charged per day to each grant over a period an auditor chooses.

The charges come from the budget ledger (``budget_reservations`` in the states
that count: ``reserved`` and ``spent``), which is what budgets are checked
against, summed per grant and UTC calendar day. Each charge is then checked
against the signed log: the reservation is made in the same transaction as
the allowed ``release.decision`` entry whose resource is the reservation's id,
and that entry's signed text names the grant and the epsilon charged. A charge
with no such entry, or whose entry names another grant or amount, is listed in
``unverified``: the ledger and the log disagree, and the auditor is told so
rather than shown numbers the log does not vouch for. (The entries' own
signatures and inclusion are what the log verification checks.)
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicdata.audit.columns import EntryTextError, columns_of
from civicdata.models import AuditEvent, BudgetReservation
from civicdata.releases.ledger import COUNTING
from policies.budget import DELTA_UNIT, EPSILON_UNIT, from_units, text

CHUNK = 500  # reservation ids per IN (...) when fetching their signed entries


@dataclass(frozen=True, slots=True)
class DayCharge:
    """What one grant was charged on one UTC day."""

    day: date
    epsilon: Decimal
    delta: Decimal
    charges: int  # releases charged (reservations that count)

    def as_dict(self) -> dict[str, Any]:
        return {
            "day": self.day.isoformat(),
            "epsilon": text(self.epsilon),
            "delta": text(self.delta),
            "charges": self.charges,
        }


@dataclass(frozen=True, slots=True)
class GrantDays:
    """One grant's charges per day, only days with a charge, oldest first."""

    policy_id: str
    department: str
    dataset: str
    days: tuple[DayCharge, ...]

    @property
    def epsilon(self) -> Decimal:
        return sum((d.epsilon for d in self.days), Decimal(0))

    @property
    def charges(self) -> int:
        return sum(d.charges for d in self.days)

    def as_dict(self) -> dict[str, Any]:
        return {
            "policy_id": self.policy_id,
            "department": self.department,
            "dataset": self.dataset,
            "epsilon": text(self.epsilon),
            "charges": self.charges,
            "days": [d.as_dict() for d in self.days],
        }


@dataclass(frozen=True, slots=True)
class DailySpending:
    """Every grant charged in ``first`` .. ``last`` (UTC days, both included)."""

    first: date
    last: date
    grants: tuple[GrantDays, ...]
    unverified: tuple[str, ...]  # reservation ids the signed log does not vouch for

    @property
    def day_count(self) -> int:
        return (self.last - self.first).days + 1

    def rows(self) -> list[tuple[GrantDays, DayCharge]]:
        """(grant, day) pairs in day order, then grant order: the chart's data table."""
        pairs = [(grant, day) for grant in self.grants for day in grant.days]
        return sorted(pairs, key=lambda pair: (pair[1].day, pair[0].policy_id))

    def as_dict(self) -> dict[str, Any]:
        return {
            "from": self.first.isoformat(),
            "to": self.last.isoformat(),
            "grants": [g.as_dict() for g in self.grants],
            "unverified": list(self.unverified),
        }


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), UTC)


def daily_spending(session: Session, first: date, last: date) -> DailySpending:
    """Epsilon and delta charged per grant per UTC day from ``first`` to ``last``."""
    rows = session.execute(
        select(
            BudgetReservation.id,
            BudgetReservation.policy_id,
            BudgetReservation.department,
            BudgetReservation.dataset,
            BudgetReservation.reserved_at,
            BudgetReservation.epsilon_units,
            BudgetReservation.delta_units,
        )
        .where(
            BudgetReservation.state.in_(COUNTING),
            BudgetReservation.reserved_at >= _midnight(first),
            BudgetReservation.reserved_at < _midnight(last + timedelta(days=1)),
        )
        .order_by(BudgetReservation.reserved_at, BudgetReservation.id)
    ).all()
    signed = _signed_charges(session, [row.id for row in rows])
    totals: dict[tuple[str, date], list[int]] = defaultdict(lambda: [0, 0, 0])
    grants: dict[str, tuple[str, str]] = {}
    unverified = []
    for row in rows:
        epsilon = from_units(row.epsilon_units, EPSILON_UNIT)
        if signed.get(row.id) != (row.policy_id, epsilon.normalize()):
            unverified.append(row.id)
        moment = row.reserved_at
        day = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC).date()
        total = totals[(row.policy_id, day)]
        total[0] += row.epsilon_units
        total[1] += row.delta_units
        total[2] += 1
        grants.setdefault(row.policy_id, (row.department, row.dataset))
    series = []
    for policy_id in sorted(grants):
        department, dataset = grants[policy_id]
        days = tuple(
            DayCharge(
                day,
                from_units(eps, EPSILON_UNIT).normalize(),
                from_units(delta, DELTA_UNIT).normalize(),
                count,
            )
            for (grant, day), (eps, delta, count) in sorted(totals.items())
            if grant == policy_id
        )
        series.append(GrantDays(policy_id, department, dataset, days))
    return DailySpending(first, last, tuple(series), tuple(unverified))


def _signed_charges(session: Session, reservations: Iterable[str]) -> dict[str, tuple[str, Any]]:
    """For each reservation id, the grant and epsilon its signed allowed decision states."""
    ids = list(reservations)
    found: dict[str, tuple[str, Any]] = {}
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        entries = session.scalars(
            select(AuditEvent.entry).where(
                AuditEvent.action == "release.decision", AuditEvent.resource.in_(chunk)
            )
        )
        for entry in entries:
            try:
                values = columns_of(entry)
                details = values["details"]
                epsilon = Decimal(str(details["epsilon"])).normalize()
            except (EntryTextError, KeyError, InvalidOperation):
                continue
            if values["action"] == "release.decision" and values["decision"] == "allowed":
                found[str(values["resource"])] = (str(details.get("policy_id")), epsilon)
    return found
