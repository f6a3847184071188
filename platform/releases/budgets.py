"""Budget balances for people: per grant and per dataset cap, and spending by month.

Departments see what is left of each of their own grants in its current window
and when budget next comes back (to the minute), and, for the datasets they hold
a grant on, how much of the city-wide cap is left *for them*: never what other
departments spent, nor when (no cap renewal time, which would betray when
another department queried). Auditors see everything: every grant, the caps
with what all departments spent and when they renew, and spending per
department, dataset and calendar month.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicdata.models import BudgetReservation
from civicdata.releases import ledger
from policies.budget import EPSILON_UNIT, Cost, from_units, text
from policies.model import Policy, PolicySet


def _minute(moment: datetime | None) -> str | None:
    """A renewal time as shown to a department: rounded up to the minute, no finer timing."""
    if moment is None:
        return None
    whole = moment.replace(second=0, microsecond=0)
    return (whole + timedelta(minutes=1) if whole < moment else whole).isoformat()


def _floor(cost: Cost) -> Cost:
    """A remaining amount as shown: never below zero (a lowered budget can be overspent)."""
    return Cost(max(cost.epsilon, Decimal(0)), max(cost.delta, Decimal(0)))


@dataclass(frozen=True, slots=True)
class GrantBudget:
    policy: Policy
    balance: ledger.Balance
    renews_at: datetime | None

    def as_dict(self) -> dict[str, Any]:
        p = self.policy
        return {
            "policy_id": p.id,
            "department": p.department,
            "dataset": p.dataset,
            "purpose": p.purpose,
            "period": p.period.label,
            "budget": p.budget.as_dict(),
            "spent": self.balance.spent.as_dict(),
            "remaining": _floor(self.balance.remaining).as_dict(),
            "max_epsilon_per_query": text(p.max_epsilon_per_query),
            "renews_at": None if self.renews_at is None else self.renews_at.isoformat(),
        }

    def as_department_dict(self) -> dict[str, Any]:
        """What the grant's own department sees: its renewal time only to the minute."""
        return {**self.as_dict(), "renews_at": _minute(self.renews_at)}


@dataclass(frozen=True, slots=True)
class CityBudget:
    dataset: str
    balance: ledger.Balance
    renews_at: datetime | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "period": self.balance.period.label,
            "cap": text(self.balance.total.epsilon),
            "spent": text(self.balance.spent.epsilon),
            "remaining": text(_floor(self.balance.remaining).epsilon),
            "renews_at": None if self.renews_at is None else self.renews_at.isoformat(),
        }

    def for_department(self, grants: list[GrantBudget]) -> dict[str, Any]:
        """The cap as one department sees it: what is left for it under the cap, given its
        own grants on the dataset, without what others spent or when the cap renews."""
        own = [g.balance.remaining.epsilon for g in grants if g.policy.dataset == self.dataset]
        left = min(max(own, default=Decimal(0)), self.balance.remaining.epsilon)
        return {
            "dataset": self.dataset,
            "period": self.balance.period.label,
            "cap": text(self.balance.total.epsilon),
            "remaining_for_you": text(max(left, Decimal(0))),
        }


def grant_budgets(
    session: Session, policy_set: PolicySet, department: str | None, now: datetime
) -> list[GrantBudget]:
    """Every grant of ``department`` (all grants for ``None``) in its current window."""
    out = []
    for policy in policy_set.policies:
        if department is not None and policy.department != department:
            continue
        balance = ledger.grant_balance(session, policy, now)
        times = ledger.charge_times(session, ledger.grant_account(policy.id), balance.window)
        out.append(GrantBudget(policy, balance, policy.period.next_renewal(now, times)))
    return out


def city_budgets(
    session: Session, policy_set: PolicySet, now: datetime, datasets: set[str] | None = None
) -> list[CityBudget]:
    """The city-wide cap of every dataset (of ``datasets`` if given), and its spending."""
    out = []
    for dataset in sorted(policy_set.city_caps):
        if datasets is not None and dataset not in datasets:
            continue
        balance = ledger.city_balance(session, policy_set, dataset, now)
        times = ledger.charge_times(session, ledger.dataset_account(dataset), balance.window)
        out.append(CityBudget(dataset, balance, balance.period.next_renewal(now, times)))
    return out


def department_view(
    session: Session, policy_set: PolicySet, department: str, now: datetime
) -> dict[str, list[dict[str, Any]]]:
    """Everything ``department`` may see of the budgets: its grants and its share of caps."""
    grants = grant_budgets(session, policy_set, department, now)
    caps = city_budgets(session, policy_set, now, {g.policy.dataset for g in grants})
    return {
        "grants": [g.as_department_dict() for g in grants],
        "city_caps": [c.for_department(grants) for c in caps],
    }


def auditor_view(
    session: Session, policy_set: PolicySet, now: datetime
) -> dict[str, list[dict[str, Any]]]:
    """Every grant and every cap with what all departments spent and when they renew."""
    return {
        "grants": [g.as_dict() for g in grant_budgets(session, policy_set, None, now)],
        "city_caps": [c.as_dict() for c in city_budgets(session, policy_set, now)],
    }


@dataclass(frozen=True, slots=True)
class MonthlySpend:
    department: str
    dataset: str
    month: str
    epsilon: Decimal
    releases: int


def spending_by_month(session: Session) -> list[MonthlySpend]:
    """Epsilon charged (reserved or spent) per department, dataset and calendar month."""
    rows = session.execute(
        select(
            BudgetReservation.department,
            BudgetReservation.dataset,
            BudgetReservation.reserved_at,
            BudgetReservation.epsilon_units,
        ).where(BudgetReservation.state.in_(ledger.COUNTING))
    )
    totals: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0, 0])
    for department, dataset, reserved_at, units in rows:
        total = totals[(department, dataset, reserved_at.strftime("%Y-%m"))]
        total[0] += units
        total[1] += 1
    ordered = sorted(totals.items(), key=lambda item: (item[0][0], item[0][1]))
    ordered.sort(key=lambda item: item[0][2], reverse=True)  # newest month first
    return [
        MonthlySpend(dep, ds, month, from_units(units, EPSILON_UNIT).normalize(), count)
        for (dep, ds, month), (units, count) in ordered
    ]
