"""Loading and validating policy directories: every mistake, named, all at once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from policies.loader import DEMO_POLICIES, load_policy_set
from policies.problems import PolicyError, Problem
from tests.policies.helpers import transport_policy


def problems_of(directory: Path, catalog, purposes) -> list[Problem]:
    with pytest.raises(PolicyError) as caught:
        load_policy_set(directory, catalog, purposes)
    return caught.value.problems


def test_the_demo_city_policies_load(catalog, purposes) -> None:
    policy_set = load_policy_set(DEMO_POLICIES, catalog, purposes)
    departments = {p.department for p in policy_set.policies}
    assert {"transport", "energy", "water", "statistics", "health", "libraries"} <= departments
    assert "police" not in departments
    health = policy_set.get("health-clinic-visits")
    assert health is not None
    assert health.max_epsilon_per_query < policy_set.get("transport-trips").max_epsilon_per_query


def test_a_valid_policy_loads_with_exact_amounts(write_dir, catalog, purposes) -> None:
    policy_set = load_policy_set(write_dir({"t.yaml": [transport_policy()]}), catalog, purposes)
    (policy,) = policy_set.policies
    assert str(policy.max_epsilon_per_query) == "1.0"
    assert policy.measures == {"count": (), "mean": ("duration_min",), "sum": ("duration_min",)}
    assert policy.source == "t.yaml"


SINGLE_POLICY_MISTAKES: list[tuple[str, dict[str, Any], str, str]] = [
    # (case id, changes to the valid policy, field named, part of the message)
    ("unknown-key", {"colour": "red"}, "colour", "Unknown field"),
    ("missing-approvers", {"approvers": None}, "approvers", "Missing data"),
    ("no-approver", {"approvers": []}, "approvers", "at least one approver"),
    ("bad-id", {"id": "Transport Trips"}, "id", "does not match"),
    ("zero-epsilon", {"max_epsilon_per_query": 0}, "max_epsilon_per_query", "greater than 0"),
    (
        "negative-budget",
        {"budget": {"epsilon": -1, "period": "P30D"}},
        "budget.epsilon",
        "negative",
    ),
    ("too-fine", {"max_epsilon_per_query": "0.0000001"}, "max_epsilon_per_query", "finer than"),
    ("not-a-number", {"max_epsilon_per_query": "lots"}, "max_epsilon_per_query", "not a number"),
    ("bool-epsilon", {"max_epsilon_per_query": True}, "max_epsilon_per_query", "not a number"),
    (
        "query-over-period",
        {"max_epsilon_per_query": 5},
        "max_epsilon_per_query",
        "exceeds the budget",
    ),
    ("gaussian-without-delta", {"mechanism": "gaussian"}, "budget.delta", "needs a delta"),
    (
        "laplace-with-delta",
        {"budget": {"epsilon": 4, "delta": "1e-6", "period": "P30D"}},
        "budget.delta",
        "pure DP",
    ),
    ("bad-mechanism", {"mechanism": "exponential"}, "mechanism", "Must be one of"),
    ("bad-period", {"budget": {"epsilon": 4, "period": "monthly"}}, "budget.period", "PnD"),
    ("dates-unordered", {"valid_until": "2024-12-31"}, "valid_until", "after valid_from"),
    ("naive-time", {"valid_from": "2025-01-01T00:00:00"}, "valid_from", "timezone"),
    ("bad-date", {"valid_from": "next monday"}, "valid_from", "ISO 8601"),
    ("no-measure", {"measures": {"count": False}}, "measures", "allows no measure"),
    (
        "unknown-measure",
        {"measures": {"quantiles": ["duration_min"]}},
        "measures.quantiles",
        "Unknown",
    ),
    ("duplicate-group-by", {"group_by": ["mode", "mode"]}, "group_by", "twice"),
    ("bad-operator", {"filters": {"month": ["like"]}}, "filters.month", "Must be one of"),
    ("bound-zero", {"max_records_per_citizen": 0}, "max_records_per_citizen", "greater than"),
    ("unknown-department", {"department": "parks"}, "department", "unknown department 'parks'"),
    ("unknown-dataset", {"dataset": "parking"}, "dataset", "unknown dataset 'parking'"),
    ("unknown-purpose", {"purpose": "marketing"}, "purpose", "unknown purpose 'marketing'"),
    ("purpose-not-covering", {"purpose": "energy-efficiency"}, "purpose", "does not cover"),
    ("measure-unknown-field", {"measures": {"mean": ["speed"]}}, "measures.mean", "not a field"),
    ("measure-category", {"measures": {"sum": ["mode"]}}, "measures.sum", "needs a numeric"),
    ("group-unknown", {"group_by": ["speed"]}, "group_by", "not a field"),
    ("group-not-groupable", {"group_by": ["duration_min"]}, "group_by", "not marked groupable"),
    ("group-identifier", {"group_by": ["travel_card"]}, "group_by", "identifies citizens"),
    (
        "filter-not-public",
        {"filters": {"duration_min": ["gte"]}},
        "filters.duration_min",
        "groupable",
    ),
    (
        "filter-identifier",
        {"filters": {"travel_card": ["eq"]}},
        "filters.travel_card",
        "identifies",
    ),
    ("ordered-op-on-category", {"filters": {"mode": ["between"]}}, "filters.mode", "ordered field"),
    ("bound-over-catalog", {"max_records_per_citizen": 21}, "max_records_per_citizen", "catalog"),
    ("period-too-short", {"budget": {"epsilon": 4, "period": "P29D"}}, "budget.period", "cover"),
    (
        "calendar-month-under-rolling-cap",
        {"budget": {"epsilon": 4, "period": "calendar-month"}},
        "budget.period",
        "cover",
    ),
]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [pytest.param(c, f, m, id=i) for i, c, f, m in SINGLE_POLICY_MISTAKES],
)
def test_each_mistake_is_named_with_file_policy_and_field(
    write_dir, catalog, purposes, changes: dict[str, Any], field: str, message: str
) -> None:
    entry = transport_policy(**changes)
    problems = problems_of(write_dir({"transport.yaml": [entry]}), catalog, purposes)
    label = entry["id"] if changes.get("id") is None else changes["id"]
    matching = [
        p
        for p in problems
        if p.file == "transport.yaml"
        and p.policy == label
        and (p.field or "").startswith(field)
        and message in p.message
    ]
    assert matching, [str(p) for p in problems]


def test_a_longer_period_covers_the_cap(write_dir, catalog, purposes) -> None:
    entry = transport_policy(budget={"epsilon": 4, "period": "P31D"})
    load_policy_set(write_dir({"t.yaml": [entry]}), catalog, purposes)


def test_ids_must_be_unique_across_files(write_dir, catalog, purposes) -> None:
    other = transport_policy(valid_from="2027-01-01", valid_until=None)
    directory = write_dir({"a.yaml": [transport_policy()], "b.yaml": [other]})
    problems = problems_of(directory, catalog, purposes)
    assert [(p.file, p.policy, p.field) for p in problems] == [("b.yaml", "transport-trips", "id")]
    assert "already used in a.yaml" in problems[0].message


def test_grants_for_the_same_department_dataset_and_purpose_may_not_overlap(
    write_dir, catalog, purposes
) -> None:
    second = transport_policy(id="transport-trips-2026", valid_from="2026-06-01", valid_until=None)
    problems = problems_of(write_dir({"t.yaml": [transport_policy(), second]}), catalog, purposes)
    assert any("overlaps policy transport-trips" in p.message for p in problems), problems
    # one ending exactly when the next starts does not overlap
    second = transport_policy(id="transport-trips-2027", valid_from="2027-01-01", valid_until=None)
    load_policy_set(write_dir({"t.yaml": [transport_policy(), second]}), catalog, purposes)


def statistics_trips(epsilon: float, **changes: Any) -> dict[str, Any]:
    return transport_policy(
        id="statistics-trips",
        department="statistics",
        purpose="population-statistics",
        max_epsilon_per_query=0.5,
        budget={"epsilon": epsilon, "period": "P30D"},
        **changes,
    )


@pytest.mark.parametrize(
    ("statistics_epsilon", "statistics_window", "fits"),
    [
        pytest.param(2.0, {}, True, id="exactly-the-cap"),
        pytest.param(2.000001, {}, False, id="one-unit-over-the-cap"),
        pytest.param(3.0, {"valid_from": "2027-01-01", "valid_until": None}, True, id="disjoint"),
        pytest.param(3.0, {"valid_from": "2026-12-31", "valid_until": None}, False, id="one-day"),
    ],
)
def test_grants_on_a_dataset_fit_under_the_city_wide_cap(
    write_dir, catalog, purposes, statistics_epsilon, statistics_window, fits: bool
) -> None:
    # trips: city-wide cap 6 per P30D; the transport grant takes 4.
    entries = [transport_policy(), statistics_trips(statistics_epsilon, **statistics_window)]
    directory = write_dir({"t.yaml": entries})
    if fits:
        load_policy_set(directory, catalog, purposes)
        return
    (problem,) = problems_of(directory, catalog, purposes)
    assert problem.field == "budget.epsilon"
    assert "above the city-wide cap of 6 per P30D" in problem.message
    assert "transport-trips=4" in problem.message


FILE_MISTAKES = [
    ("not: [valid", "not valid YAML at line"),
    ("rules: []\n", "a list under 'policies:'"),
    ("- just a list\n", "a list under 'policies:'"),
    ("policies: [42]\n", "must be a mapping"),
]


@pytest.mark.parametrize(("content", "message"), FILE_MISTAKES)
def test_file_level_mistakes_are_reported(write_dir, catalog, purposes, content, message) -> None:
    problems = problems_of(write_dir({"bad.yaml": content}), catalog, purposes)
    assert [p.file for p in problems] == ["bad.yaml"]
    assert message in problems[0].message


def test_unknown_top_level_keys_are_rejected(write_dir, catalog, purposes) -> None:
    content = "version: 2\npolicies: []\n"
    (problem,) = problems_of(write_dir({"bad.yaml": content}), catalog, purposes)
    assert (problem.field, problem.message) == (
        "version",
        "unknown key (only 'policies' is allowed)",
    )


def test_a_missing_or_empty_directory_is_an_error(tmp_path: Path, catalog, purposes) -> None:
    (problem,) = problems_of(tmp_path / "nowhere", catalog, purposes)
    assert "not a directory" in problem.message
    (problem,) = problems_of(tmp_path, catalog, purposes)
    assert "no *.yaml policy file" in problem.message


def test_every_mistake_in_every_file_is_reported_in_one_go(write_dir, catalog, purposes) -> None:
    directory = write_dir(
        {
            "a.yaml": [
                transport_policy(group_by=["household_size"]),
                statistics_trips(1.0, mechanism="gaussian", colour="red"),
            ],
            "b.yaml": "policies: [oops",
            "c.yaml": [
                transport_policy(department="parks", valid_from="2028-01-01", valid_until=None)
            ],
        }
    )
    problems = problems_of(directory, catalog, purposes)
    found = {(p.file, p.policy, p.field) for p in problems}
    assert {
        ("a.yaml", "transport-trips", "group_by"),
        ("a.yaml", "statistics-trips", "colour"),
        ("a.yaml", "statistics-trips", "budget.delta"),
        ("b.yaml", None, None),
        ("c.yaml", "transport-trips", "department"),
        ("c.yaml", "transport-trips", "id"),
    } <= found, [str(p) for p in problems]
    assert [p.file for p in problems] == sorted(p.file for p in problems)
    assert "c.yaml: policy transport-trips: department: unknown department 'parks'" in map(
        lambda p: str(p).split(";")[0], problems
    )
