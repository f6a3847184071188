"""A release query judged by the policy set on the ledger's balances, and the bounds a policy sets.

Queries and policies name measures alike (:mod:`policies.measures`); only
filters are spelt differently (``in`` with one value is the policy's ``eq``).
:func:`decide` is the one place a query meets the policies and current budgets:
planning, re-serving a stored release and reserving budget all call it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from anonymise.query import Filter, Query
from anonymise.sensitivity import ContributionBounds
from civicdata.releases import ledger
from policies.budget import ZERO
from policies.catalog import DatasetSpec
from policies.evaluate import Decision, evaluate
from policies.model import Policy, PolicySet
from policies.request import FilterRequest, MeasureRequest, Request


def _filter(flt: Filter) -> FilterRequest:
    if flt.between is not None:
        return FilterRequest(flt.field, "between", list(flt.between))
    if len(flt.values) == 1:
        return FilterRequest(flt.field, "eq", flt.values[0])
    return FilterRequest(flt.field, "in", list(flt.values))


def policy_request(query: Query, department: str, requester: str, epsilon: Decimal) -> Request:
    """The request the policy set judges: ``epsilon`` is what would be spent (0 to re-serve)."""
    return Request(
        department=department,
        client_id=requester,
        purpose=query.purpose,
        dataset=query.dataset,
        measures=tuple(MeasureRequest(m.kind, m.field) for m in query.measures),
        epsilon=epsilon,
        group_by=query.group_by,
        filters=tuple(_filter(f) for f in query.filters),
        delta=query.delta if query.delta is not None and epsilon > 0 else ZERO,
        mechanism=query.mechanism,
    )


def candidates(policy_set: PolicySet, department: str, dataset: str) -> tuple[Policy, ...]:
    """The department's policies on the dataset: the only ones that can allow a request."""
    return tuple(
        p for p in policy_set.policies if p.department == department and p.dataset == dataset
    )


def bounds_for(policy: Policy | None, dataset: DatasetSpec) -> ContributionBounds:
    """The catalog's contribution bounds, tightened by the policy where it says so."""
    limit = None if policy is None else policy.max_records_per_citizen
    return ContributionBounds.for_dataset(dataset, records_per_citizen=limit)


def likely_policy(policies: tuple[Policy, ...], purpose: str) -> Policy | None:
    """The policy whose bounds plan a query before evaluation (first one for the purpose)."""
    return next((p for p in policies if p.purpose == purpose), None)


@dataclass(frozen=True, slots=True)
class Judged:
    """The request as the policy set saw it, and its decision."""

    request: Request
    decision: Decision


def decide(
    session: Session,
    policy_set: PolicySet,
    query: Query,
    department: str,
    requester: str,
    epsilon: Decimal,
    now: datetime,
) -> Judged:
    """Evaluate ``query`` for ``department`` at ``epsilon`` on the ledger's balances at ``now``.

    Takes no lock: a caller that reserves must hold the budget rows' locks first.
    """
    policies = candidates(policy_set, department, query.dataset)
    budgets = ledger.budgets_for(session, policy_set, policies, query.dataset, now)
    request = policy_request(query, department, requester, epsilon)
    return Judged(request, evaluate(policy_set, request, budgets, now))
