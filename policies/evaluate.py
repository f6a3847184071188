"""Deny-by-default evaluation of a request against the policy set in force.

The candidates are the policies of the requesting department on the requested
dataset; nothing else can ever allow a request (no wildcards). Each candidate
is checked clause by clause, in this order, stopping at its first failure:
purpose, validity window, mechanism, measures, group-by, filters, per-query
epsilon cap, the grant's remaining budget, the dataset's remaining city-wide
cap. The first candidate passing every clause allows the request. Otherwise
the request is denied and the reported failure is that of the candidate that
got furthest, phrased so the analyst knows what to change; with no candidate
at all the failure is ``no_policy``.

>>> from policies.catalog import load_catalog
>>> from consent.purposes import load_purposes
>>> from policies.loader import DEMO_POLICIES, load_policy_set
>>> from policies.request import parse_request
>>> from datetime import UTC, datetime
>>> ps = load_policy_set(DEMO_POLICIES, load_catalog(), load_purposes())
>>> budgets = Budgets.from_spent(ps.grant_budgets(), ps.city_budgets())
>>> request = parse_request({"department": "transport", "purpose": "transport-planning",
...     "dataset": "trips", "measures": [{"kind": "count"}],
...     "group_by": ["household_size"], "epsilon": 0.5})
>>> decision = evaluate(ps, request, budgets, datetime(2025, 6, 1, tzinfo=UTC))
>>> decision.failure.message
"group-by 'household_size' is not allowed by policy transport-trips; allowed: district, mode, month"
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from policies.budget import Budgets, Cost, text
from policies.model import Policy, PolicySet
from policies.request import Request

CLAUSES = (
    "purpose",
    "validity",
    "mechanism",
    "measures",
    "group_by",
    "filters",
    "epsilon",
    "grant_budget",
    "city_cap",
)


@dataclass(frozen=True, slots=True)
class Failure:
    """Why a clause failed: a stable ``code``, the ``clause`` and a sentence for people."""

    code: str
    clause: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "clause": self.clause, "message": self.message}


@dataclass(frozen=True, slots=True)
class Candidate:
    """A policy considered for the request and, if it did not match, why."""

    policy_id: str
    failure: Failure | None


@dataclass(frozen=True, slots=True)
class Decision:
    """The outcome of :func:`evaluate`, with everything needed to explain and audit it.

    ``grant_before``/``city_before`` are the balances of the matched (or closest)
    candidate before the request; the ``*_after`` balances are set only when
    the request is allowed.
    """

    allowed: bool
    request: Request
    evaluated_at: datetime
    policy_set_hash: str
    policy: Policy | None
    failure: Failure | None
    candidates: tuple[Candidate, ...]
    grant_before: Cost | None = None
    grant_after: Cost | None = None
    city_before: Decimal | None = None
    city_after: Decimal | None = None

    @property
    def policy_id(self) -> str | None:
        return None if self.policy is None else self.policy.id

    @property
    def explanation(self) -> str:
        if self.allowed and self.policy is not None:
            return (
                f"allowed by policy {self.policy.id}; epsilon {text(self.request.epsilon)} "
                f"leaves {text(self.grant_after.epsilon if self.grant_after else Decimal(0))} "
                f"of its budget this period"
            )
        assert self.failure is not None
        return f"denied: {self.failure.message}"

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready form (amounts as exact decimal strings)."""
        return {
            "decision": "allow" if self.allowed else "deny",
            "policy_id": self.policy_id,
            "policy_set_hash": self.policy_set_hash,
            "evaluated_at": self.evaluated_at.isoformat(),
            "explanation": self.explanation,
            "failure": None if self.failure is None else self.failure.as_dict(),
            "candidates": [
                {"policy_id": c.policy_id, "failure": c.failure and c.failure.as_dict()}
                for c in self.candidates
            ],
            "budget": {
                "grant_before": self.grant_before and self.grant_before.as_dict(),
                "grant_after": self.grant_after and self.grant_after.as_dict(),
                "city_before": None if self.city_before is None else text(self.city_before),
                "city_after": None if self.city_after is None else text(self.city_after),
            },
            "request": self.request.as_dict(),
        }


def evaluate(policy_set: PolicySet, request: Request, budgets: Budgets, now: datetime) -> Decision:
    """Allow or deny ``request`` at ``now`` (aware) given what the ledger says is left."""
    if now.tzinfo is None:
        raise ValueError("naive datetime given; use an aware UTC datetime")
    now = now.astimezone(UTC)
    policies = [
        p
        for p in policy_set.policies
        if p.department == request.department and p.dataset == request.dataset
    ]
    results = [(p, _first_failure(p, request, budgets, now, policy_set)) for p in policies]
    candidates = tuple(Candidate(p.id, failure) for p, failure in results)
    common: dict[str, Any] = {
        "request": request,
        "evaluated_at": now,
        "policy_set_hash": policy_set.content_hash,
        "candidates": candidates,
    }
    matched = next((p for p, failure in results if failure is None), None)
    if matched is not None:
        grant, city = budgets.grants[matched.id], budgets.city[matched.dataset]
        return Decision(
            allowed=True,
            policy=matched,
            failure=None,
            grant_before=grant,
            grant_after=grant - request.cost,
            city_before=city,
            city_after=city - request.epsilon,
            **common,
        )
    if not results:
        failure = _no_policy(policy_set, request)
        return Decision(allowed=False, policy=None, failure=failure, **common)
    closest, closest_failure = max(results, key=lambda pair: CLAUSES.index(_clause(pair[1])))
    return Decision(
        allowed=False,
        policy=None,
        failure=closest_failure,
        grant_before=budgets.grants.get(closest.id),
        city_before=budgets.city.get(closest.dataset),
        **common,
    )


def _clause(failure: Failure | None) -> str:
    assert failure is not None
    return failure.clause


def _first_failure(
    policy: Policy, request: Request, budgets: Budgets, now: datetime, policy_set: PolicySet
) -> Failure | None:
    checks = (
        _purpose,
        _validity,
        _mechanism,
        _measures,
        _group_by,
        _filters,
        _epsilon_cap,
        _grant_budget,
    )
    for check in checks:
        failure = check(policy, request, budgets, now)
        if failure is not None:
            return failure
    return _city_cap(policy, request, budgets, policy_set)


def _purpose(policy: Policy, request: Request, _b: Budgets, _n: datetime) -> Failure | None:
    if request.purpose == policy.purpose:
        return None
    return Failure(
        "purpose_not_allowed",
        "purpose",
        f"policy {policy.id} grants {policy.dataset} for purpose '{policy.purpose}' only, "
        f"not '{request.purpose}'; ask with purpose '{policy.purpose}'",
    )


def _validity(policy: Policy, _r: Request, _b: Budgets, now: datetime) -> Failure | None:
    if now < policy.valid_from:
        return Failure(
            "policy_not_yet_valid",
            "validity",
            f"policy {policy.id} is in force from {policy.valid_from.isoformat()} only",
        )
    if policy.valid_until is not None and now >= policy.valid_until:
        return Failure(
            "policy_expired",
            "validity",
            f"policy {policy.id} expired at {policy.valid_until.isoformat()}; "
            "ask for a renewed policy",
        )
    return None


def _mechanism(policy: Policy, request: Request, _b: Budgets, _n: datetime) -> Failure | None:
    if request.mechanism == policy.mechanism:
        return None
    return Failure(
        "mechanism_not_allowed",
        "mechanism",
        f"policy {policy.id} allows the {policy.mechanism} mechanism only, not {request.mechanism}",
    )


def _measures(policy: Policy, request: Request, _b: Budgets, _n: datetime) -> Failure | None:
    for measure in request.measures:
        allowed = policy.measures.get(measure.kind)
        if allowed is None or (measure.field is not None and measure.field not in allowed):
            return Failure(
                "measure_not_allowed",
                "measures",
                f"measure '{measure.label}' is not allowed by policy {policy.id}; "
                f"allowed: {_allowed_measures(policy)}",
            )
    return None


def _allowed_measures(policy: Policy) -> str:
    labels = [
        kind if not names else ", ".join(f"{kind} of {n}" for n in names)
        for kind, names in policy.measures.items()
    ]
    return ", ".join(labels)


def _group_by(policy: Policy, request: Request, _b: Budgets, _n: datetime) -> Failure | None:
    for name in request.group_by:
        if name not in policy.group_by:
            return Failure(
                "group_by_not_allowed",
                "group_by",
                f"group-by '{name}' is not allowed by policy {policy.id}; "
                f"allowed: {', '.join(policy.group_by) or 'none'}",
            )
    return None


def _filters(policy: Policy, request: Request, _b: Budgets, _n: datetime) -> Failure | None:
    for wanted in request.filters:
        operators = policy.filters.get(wanted.field)
        if operators is not None and wanted.op in operators:
            continue
        allowed = "; ".join(f"{f} ({', '.join(ops)})" for f, ops in policy.filters.items())
        what = (
            f"a filter on '{wanted.field}'"
            if operators is None
            else f"filter operator '{wanted.op}' on '{wanted.field}'"
        )
        return Failure(
            "filter_not_allowed",
            "filters",
            f"{what} is not allowed by policy {policy.id}; allowed: {allowed or 'none'}",
        )
    return None


def _epsilon_cap(policy: Policy, request: Request, _b: Budgets, _n: datetime) -> Failure | None:
    if request.epsilon <= policy.max_epsilon_per_query:
        return None
    cap = text(policy.max_epsilon_per_query)
    return Failure(
        "epsilon_over_query_cap",
        "epsilon",
        f"epsilon {text(request.epsilon)} exceeds the per-query cap of policy {policy.id}; "
        f"ask for at most {cap}",
    )


def _grant_budget(
    policy: Policy, request: Request, budgets: Budgets, _n: datetime
) -> Failure | None:
    left = budgets.grants.get(policy.id)
    if left is None:
        return Failure(
            "budget_unknown",
            "grant_budget",
            f"the remaining budget of policy {policy.id} is unknown, so nothing can be spent",
        )
    if request.cost.fits_in(left):
        return None
    part, asked, left_part, total = (
        ("epsilon", request.epsilon, left.epsilon, policy.budget.epsilon)
        if request.epsilon > left.epsilon
        else ("delta", request.delta, left.delta, policy.budget.delta)
    )
    return Failure(
        "grant_budget_exhausted",
        "grant_budget",
        f"{part} {text(asked)} exceeds what is left of the budget of policy {policy.id}: "
        f"{text(left_part)} of {text(total)} per {policy.period.label}; "
        f"ask for at most {text(left_part)} or wait until it is renewed",
    )


def _city_cap(
    policy: Policy, request: Request, budgets: Budgets, policy_set: PolicySet
) -> Failure | None:
    left = budgets.city.get(policy.dataset)
    if left is None:
        return Failure(
            "budget_unknown",
            "city_cap",
            f"the remaining city-wide budget of {policy.dataset} is unknown, "
            "so nothing can be spent",
        )
    if request.epsilon <= left:
        return None
    cap = policy_set.city_caps[policy.dataset]
    return Failure(
        "city_cap_exhausted",
        "city_cap",
        f"epsilon {text(request.epsilon)} exceeds what is left of the city-wide cap on "
        f"{policy.dataset}, shared by all departments: {text(left)} of {text(cap.epsilon)} "
        f"per {cap.period.label}; ask for at most {text(left)} or wait until it is renewed",
    )


def _no_policy(policy_set: PolicySet, request: Request) -> Failure:
    others = sorted({p.dataset for p in policy_set.policies if p.department == request.department})
    held = f"its policies cover: {', '.join(others)}" if others else "it holds no policy at all"
    return Failure(
        "no_policy",
        "dataset",
        f"no policy grants department '{request.department}' access to dataset "
        f"'{request.dataset}' ({held}); ask the data protection officer for a policy",
    )
