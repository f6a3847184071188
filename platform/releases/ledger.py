"""The privacy-budget ledger: lock, sum what counts, reserve, settle.

Every release attempt reserves its cost before any record is read. Reserving
runs in one transaction that

1. creates the grant's and the dataset's ``budget_accounts`` rows if missing
   (``INSERT ... ON CONFLICT DO NOTHING``) and locks them in id order
   (``SELECT ... FOR UPDATE`` on PostgreSQL; on SQLite the insert takes the
   database's write lock at once, which serialises writers the same way);
2. reads the clock, then sums the reserved and spent costs in each budget's
   window (rolling ``(now - n days, ...)`` or the calendar month), with no upper
   time bound, so a reservation made by a process whose clock runs ahead still
   counts;
3. lets the caller evaluate the policy on those balances and, if allowed,
   inserts a ``reserved`` row, committed before any data is touched.

A reservation then ends ``spent`` (the engine ran, whatever happened next) or
``released`` (it failed before the engine ran). A process that dies in between
leaves it ``reserved``, which keeps counting: a crash never gives budget back.
Amounts are exact integers: micro-epsilon and 1e-15 delta units.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.orm import Session

from civicdata.db import insert_or_skip
from civicdata.models import BudgetAccount, BudgetReservation
from policies.budget import DELTA_UNIT, EPSILON_UNIT, Budgets, Cost, from_units, to_units
from policies.model import Policy, PolicySet
from policies.periods import Period, Window

COUNTING = ("reserved", "spent")


def grant_account(policy_id: str) -> str:
    return f"grant:{policy_id}"


def dataset_account(dataset: str) -> str:
    return f"dataset:{dataset}"


def cost_units(cost: Cost) -> tuple[int, int]:
    """A cost as (micro-epsilon, 1e-15 delta) integers; ``ValueError`` if finer."""
    return to_units(cost.epsilon, EPSILON_UNIT), to_units(cost.delta, DELTA_UNIT)


def units_cost(epsilon_units: int, delta_units: int) -> Cost:
    return Cost(
        from_units(epsilon_units, EPSILON_UNIT).normalize(),
        from_units(delta_units, DELTA_UNIT).normalize(),
    )


def lock_accounts(session: Session, account_ids: Iterable[str]) -> None:
    """Create the accounts if missing and lock them, in id order, until the transaction ends."""
    ids = sorted(set(account_ids))
    accounts = insert_or_skip(session, BudgetAccount.__table__).values([{"id": i} for i in ids])
    session.execute(accounts.on_conflict_do_nothing())
    session.execute(
        select(BudgetAccount.id)
        .where(BudgetAccount.id.in_(ids))
        .order_by(BudgetAccount.id)
        .with_for_update()
    ).all()


def _in_window(window: Window) -> ColumnElement[bool]:
    column = BudgetReservation.reserved_at
    return column >= window.start if window.include_start else column > window.start


def spent_on_grant(session: Session, policy_id: str, window: Window) -> Cost:
    """Reserved and spent cost charged to a grant in ``window`` (and after it)."""
    row = session.execute(
        select(
            func.coalesce(func.sum(BudgetReservation.epsilon_units), 0),
            func.coalesce(func.sum(BudgetReservation.delta_units), 0),
        ).where(
            BudgetReservation.policy_id == policy_id,
            BudgetReservation.state.in_(COUNTING),
            _in_window(window),
        )
    ).one()
    return units_cost(int(row[0]), int(row[1]))


def spent_on_dataset(session: Session, dataset: str, window: Window) -> Decimal:
    """Reserved and spent epsilon charged to a dataset's city-wide cap in ``window``."""
    total = session.execute(
        select(func.coalesce(func.sum(BudgetReservation.epsilon_units), 0)).where(
            BudgetReservation.dataset == dataset,
            BudgetReservation.state.in_(COUNTING),
            _in_window(window),
        )
    ).scalar_one()
    return from_units(int(total), EPSILON_UNIT).normalize()


def charge_times(session: Session, account: str, window: Window) -> list[datetime]:
    """When the counted charges of a grant or dataset account were made (for renewal)."""
    kind, _, key = account.partition(":")
    column = BudgetReservation.policy_id if kind == "grant" else BudgetReservation.dataset
    return list(
        session.scalars(
            select(BudgetReservation.reserved_at).where(
                column == key, BudgetReservation.state.in_(COUNTING), _in_window(window)
            )
        )
    )


@dataclass(frozen=True, slots=True)
class Balance:
    """A budget in its current window: the full amount, what counts against it, the rest."""

    total: Cost
    spent: Cost
    period: Period
    window: Window

    @property
    def remaining(self) -> Cost:
        return self.total - self.spent


def grant_balance(session: Session, policy: Policy, now: datetime) -> Balance:
    window = policy.period.window(now)
    return Balance(policy.budget, spent_on_grant(session, policy.id, window), policy.period, window)


def city_balance(session: Session, policy_set: PolicySet, dataset: str, now: datetime) -> Balance:
    cap = policy_set.city_caps[dataset]
    window = cap.period.window(now)
    spent = spent_on_dataset(session, dataset, window)
    return Balance(Cost(cap.epsilon), Cost(spent), cap.period, window)


def budgets_for(
    session: Session, policy_set: PolicySet, policies: Iterable[Policy], dataset: str, now: datetime
) -> Budgets:
    """What is left of each grant and of the dataset's city cap: the evaluator's input."""
    grants = {p.id: grant_balance(session, p, now).remaining for p in policies}
    city = {}
    if dataset in policy_set.city_caps:
        city[dataset] = city_balance(session, policy_set, dataset, now).remaining.epsilon
    return Budgets(grants=grants, city=city)


def new_reservation(
    session: Session,
    *,
    policy: Policy,
    cost: Cost,
    requester: str,
    policy_set_hash: str,
    query_hash: str,
    now: datetime,
) -> BudgetReservation:
    """Insert a ``reserved`` row (under the locks the caller holds)."""
    epsilon_units, delta_units = cost_units(cost)
    reservation = BudgetReservation(
        id="res-" + secrets.token_hex(12),
        policy_id=policy.id,
        department=policy.department,
        dataset=policy.dataset,
        purpose=policy.purpose,
        requester=requester,
        policy_set_hash=policy_set_hash,
        query_hash=query_hash,
        epsilon_units=epsilon_units,
        delta_units=delta_units,
        state="reserved",
        reserved_at=now,
    )
    session.add(reservation)
    session.flush()
    return reservation


def settle(
    session: Session,
    reservation_id: str,
    state: str,
    now: datetime,
    *,
    cost: Cost | None = None,
    release_id: str | None = None,
) -> None:
    """End a reservation as ``spent`` (optionally at the smaller cost incurred) or ``released``.

    Only a ``reserved`` row changes, so a settled reservation is never reopened.
    """
    values: dict[str, object] = {"state": state, "settled_at": now}
    if cost is not None:
        values["epsilon_units"], values["delta_units"] = cost_units(cost)
    if release_id is not None:
        values["release_id"] = release_id
    session.execute(
        update(BudgetReservation)
        .where(BudgetReservation.id == reservation_id, BudgetReservation.state == "reserved")
        .values(**values)
    )
