"""From a release query to what the policy evaluator judges, and the bounds a policy sets.

The query model (:mod:`anonymise.query`) and the policy language
(:mod:`policies.request`) name a few things differently: a distinct-citizen
count, quantiles and medians, and filters (``in`` with one value is ``eq``).
"""

from __future__ import annotations

from decimal import Decimal

from anonymise.query import Filter, Query
from anonymise.sensitivity import ContributionBounds
from policies.budget import ZERO
from policies.catalog import DatasetSpec
from policies.model import Policy, PolicySet
from policies.request import FilterRequest, MeasureRequest, Request

POLICY_KIND = {
    "count": "count",
    "distinct_citizens": "count_distinct_citizens",
    "sum": "sum",
    "mean": "mean",
    "histogram": "histogram",
    "quantile": "quantiles",
    "median": "quantiles",
}


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
        measures=tuple(MeasureRequest(POLICY_KIND[m.kind], m.field) for m in query.measures),
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
