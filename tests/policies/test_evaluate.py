"""Deny-by-default evaluation: each clause allowing and denying, with explanations."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from policies.budget import Budgets, Cost, exact
from policies.evaluate import evaluate
from policies.loader import DEMO_POLICIES, load_policy_set
from policies.model import PolicySet
from policies.request import parse_request
from tests.policies.helpers import transport_policy

AT = datetime(2025, 6, 1, 12, tzinfo=UTC)
TICK = timedelta(microseconds=1)


@pytest.fixture(scope="module")
def demo(catalog, purposes) -> PolicySet:
    return load_policy_set(DEMO_POLICIES, catalog, purposes)


def request(**changes: Any):
    data: dict[str, Any] = {
        "department": "transport",
        "client": "dashboard",
        "purpose": "transport-planning",
        "dataset": "trips",
        "measures": [{"kind": "count"}],
        "group_by": ["district"],
        "filters": [{"field": "month", "op": "between", "value": ["2025-01", "2025-03"]}],
        "epsilon": "0.5",
    }
    data.update(changes)
    return parse_request(data)


def budgets(ps: PolicySet, spent: dict[str, str] | None = None, city: dict[str, str] | None = None):
    return Budgets.from_spent(
        ps.grant_budgets(),
        ps.city_budgets(),
        spent_grants={k: Cost(exact(v)) for k, v in (spent or {}).items()},
        spent_city={k: exact(v) for k, v in (city or {}).items()},
    )


STATISTICS = {"department": "statistics", "purpose": "population-statistics"}
GAUSSIAN = {"mechanism": "gaussian", "delta": "1e-7"}

# (case id, request changes, grant spent, city spent, time, expected policy or failure code)
CLAUSES: list[tuple[str, dict[str, Any], dict[str, str], dict[str, str], datetime, str]] = [
    ("allow-base", {}, {}, {}, AT, "transport-trips"),
    *[
        (f"allow-measure-{kind}", {"measures": [m]}, {}, {}, AT, "transport-trips")
        for kind, m in [
            ("count-distinct", {"kind": "distinct_citizens"}),
            ("sum", {"kind": "sum", "field": "duration_min"}),
            ("mean", {"kind": "mean", "field": "duration_min"}),
            ("histogram", {"kind": "histogram", "field": "duration_min"}),
            ("quantile", {"kind": "quantile", "field": "duration_min"}),
        ]
    ],
    (
        "deny-measure-kind",
        {**STATISTICS, "measures": [{"kind": "sum", "field": "duration_min"}]},
        {},
        {},
        AT,
        "measure_not_allowed",
    ),
    (
        "deny-measure-field",
        {"measures": [{"kind": "mean", "field": "kwh"}]},
        {},
        {},
        AT,
        "measure_not_allowed",
    ),
    (
        "allow-group-by-all",
        {"group_by": ["district", "mode", "month"]},
        {},
        {},
        AT,
        "transport-trips",
    ),
    (
        "deny-group-by",
        {"group_by": ["district", "household_size"]},
        {},
        {},
        AT,
        "group_by_not_allowed",
    ),
    (
        "allow-filter",
        {"filters": [{"field": "mode", "op": "in", "value": ["bus", "tram"]}]},
        {},
        {},
        AT,
        "transport-trips",
    ),
    (
        "deny-filter-field",
        {**STATISTICS, "filters": [{"field": "mode", "op": "eq", "value": "bus"}]},
        {},
        {},
        AT,
        "filter_not_allowed",
    ),
    (
        "deny-filter-operator",
        {**STATISTICS, "filters": [{"field": "month", "op": "in", "value": ["2025-01"]}]},
        {},
        {},
        AT,
        "filter_not_allowed",
    ),
    ("allow-purpose-statistics", {**STATISTICS}, {}, {}, AT, "statistics-trips"),
    ("deny-purpose", {"department": "statistics"}, {}, {}, AT, "purpose_not_allowed"),
    ("allow-valid-from", {}, {}, {}, datetime(2025, 1, 1, tzinfo=UTC), "transport-trips"),
    (
        "deny-before-valid-from",
        {},
        {},
        {},
        datetime(2025, 1, 1, tzinfo=UTC) - TICK,
        "policy_not_yet_valid",
    ),
    ("allow-last-instant", {}, {}, {}, datetime(2027, 1, 1, tzinfo=UTC) - TICK, "transport-trips"),
    ("deny-at-valid-until", {}, {}, {}, datetime(2027, 1, 1, tzinfo=UTC), "policy_expired"),
    ("deny-mechanism", {**GAUSSIAN}, {}, {}, AT, "mechanism_not_allowed"),
    (
        "allow-gaussian",
        {
            **STATISTICS,
            **GAUSSIAN,
            "dataset": "demographics",
            "filters": [],
            "group_by": ["household_size"],
        },
        {},
        {},
        AT,
        "statistics-demographics",
    ),
    ("allow-epsilon-at-cap", {"epsilon": "1"}, {}, {}, AT, "transport-trips"),
    (
        "deny-epsilon-one-unit-over-cap",
        {"epsilon": "1.000001"},
        {},
        {},
        AT,
        "epsilon_over_query_cap",
    ),
    ("allow-budget-exactly-exhausted", {}, {"transport-trips": "3.5"}, {}, AT, "transport-trips"),
    (
        "deny-budget-one-unit-over",
        {},
        {"transport-trips": "3.500001"},
        {},
        AT,
        "grant_budget_exhausted",
    ),
    (
        "deny-budget-empty",
        {"epsilon": "0.000001"},
        {"transport-trips": "4"},
        {},
        AT,
        "grant_budget_exhausted",
    ),
    ("allow-city-cap-exactly-exhausted", {}, {}, {"trips": "5.5"}, AT, "transport-trips"),
    ("deny-city-cap-one-unit-over", {}, {}, {"trips": "5.500001"}, AT, "city_cap_exhausted"),
    ("deny-no-policy-department", {"department": "police"}, {}, {}, AT, "no_policy"),
    (
        "deny-no-policy-dataset",
        {"dataset": "electricity", "measures": [{"kind": "count"}]},
        {},
        {},
        AT,
        "no_policy",
    ),
]


@pytest.mark.parametrize(
    ("changes", "spent", "city", "at", "expected"),
    [pytest.param(c, s, y, a, e, id=i) for i, c, s, y, a, e in CLAUSES],
)
def test_each_clause_allows_and_denies(demo, changes, spent, city, at, expected: str) -> None:
    decision = evaluate(demo, request(**changes), budgets(demo, spent, city), at)
    if decision.allowed:
        assert decision.policy_id == expected
        assert decision.failure is None
    else:
        assert decision.failure is not None
        assert decision.failure.code == expected, decision.failure.message
        assert decision.policy is None and decision.grant_after is None


def test_an_allowed_decision_carries_policy_hash_and_budgets(demo) -> None:
    decision = evaluate(
        demo, request(), budgets(demo, {"transport-trips": "1"}, {"trips": "2"}), AT
    )
    assert decision.allowed
    assert decision.policy_set_hash == demo.content_hash
    assert decision.grant_before == Cost(exact(3)) and decision.grant_after == Cost(exact("2.5"))
    assert (decision.city_before, decision.city_after) == (exact(4), exact("3.5"))
    assert [c.policy_id for c in decision.candidates] == ["transport-trips"]
    assert "allowed by policy transport-trips" in decision.explanation


def test_a_denial_explains_what_to_change(demo) -> None:
    decision = evaluate(demo, request(group_by=["household_size"]), budgets(demo), AT)
    assert decision.failure.message == (
        "group-by 'household_size' is not allowed by policy transport-trips; "
        "allowed: district, mode, month"
    )
    assert decision.failure.clause == "group_by"
    over = evaluate(demo, request(), budgets(demo, {"transport-trips": "3.7"}), AT)
    assert "0.3 of 4 per P30D; ask for at most 0.3" in over.failure.message
    city = evaluate(demo, request(), budgets(demo, city={"trips": "5.8"}), AT)
    assert "shared by all departments: 0.2 of 6 per P30D" in city.failure.message


def test_a_request_matching_no_policy_is_denied_with_an_explanation(demo) -> None:
    police = evaluate(demo, request(department="police"), budgets(demo), AT)
    assert not police.allowed and police.candidates == () and police.policy_id is None
    assert "department 'police'" in police.failure.message
    assert "holds no policy at all" in police.failure.message
    elsewhere = evaluate(demo, request(dataset="clinic_visits"), budgets(demo), AT)
    assert "its policies cover: trips" in elsewhere.failure.message
    assert police.policy_set_hash == demo.content_hash


def test_unknown_balances_are_denied(demo) -> None:
    missing_grant = Budgets(grants={}, city=demo.city_budgets())
    decision = evaluate(demo, request(), missing_grant, AT)
    assert (decision.failure.code, decision.failure.clause) == ("budget_unknown", "grant_budget")
    missing_city = Budgets(grants=demo.grant_budgets(), city={})
    decision = evaluate(demo, request(), missing_city, AT)
    assert (decision.failure.code, decision.failure.clause) == ("budget_unknown", "city_cap")


def test_delta_budget_is_enforced_for_gaussian_grants(demo) -> None:
    gaussian = request(**STATISTICS, **GAUSSIAN, dataset="demographics", filters=[], group_by=[])
    left = Budgets(
        grants={"statistics-demographics": Cost(exact(2), Decimal("1e-7"))},
        city=demo.city_budgets(),
    )
    assert evaluate(demo, gaussian, left, AT).allowed
    less = Budgets(
        grants={"statistics-demographics": Cost(exact(2), Decimal("9e-8"))},
        city=demo.city_budgets(),
    )
    decision = evaluate(demo, gaussian, less, AT)
    assert decision.failure.code == "grant_budget_exhausted"
    assert decision.failure.message.startswith("delta 0.0000001 exceeds")


def test_the_closest_candidate_explains_the_denial(write_dir, catalog, purposes) -> None:
    second = transport_policy(
        id="transport-statistics",
        purpose="population-statistics",
        group_by=["district"],
        max_epsilon_per_query=0.5,
        budget={"epsilon": 2, "period": "P30D"},
    )
    ps = load_policy_set(write_dir({"t.yaml": [transport_policy(), second]}), catalog, purposes)
    decision = evaluate(
        ps, request(purpose="population-statistics", group_by=["mode"]), budgets(ps), AT
    )
    reasons = {c.policy_id: c.failure.code for c in decision.candidates}
    assert reasons == {
        "transport-statistics": "group_by_not_allowed",
        "transport-trips": "purpose_not_allowed",
    }
    assert decision.failure.code == "group_by_not_allowed"
    assert decision.grant_before == Cost(exact(2))


def test_the_decision_serialises_to_json(demo) -> None:
    decision = evaluate(demo, request(), budgets(demo), AT)
    data = json.loads(json.dumps(decision.as_dict()))
    assert data["decision"] == "allow" and data["policy_id"] == "transport-trips"
    assert data["budget"]["grant_after"] == {"epsilon": "3.5", "delta": "0"}
    assert data["request"]["client"] == "dashboard"
    denied = evaluate(demo, request(epsilon="2"), budgets(demo), AT).as_dict()
    assert denied["failure"]["code"] == "epsilon_over_query_cap"
    assert denied["budget"]["grant_after"] is None


def test_naive_times_are_refused(demo) -> None:
    with pytest.raises(ValueError, match="naive"):
        evaluate(demo, request(), budgets(demo), datetime(2025, 6, 1))
