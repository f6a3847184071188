"""Policy test cases: the demo city's pass in the suite; broken ones are caught."""

from __future__ import annotations

import pytest

from consent.purposes import load_purposes
from policies.cases import load_cases, run_case
from policies.catalog import load_catalog
from policies.loader import DEMO_POLICIES, load_policy_set
from policies.problems import PolicyError
from tests.policies.helpers import transport_policy

DEMO_CASES = load_cases(DEMO_POLICIES)


def test_the_demo_city_has_cases_allowing_and_denying() -> None:
    decisions = {case.decision for case in DEMO_CASES}
    assert decisions == {"allow", "deny"} and len(DEMO_CASES) >= 10


@pytest.mark.parametrize("case", DEMO_CASES, ids=[case.name for case in DEMO_CASES])
def test_demo_city_policy_case(case) -> None:
    policy_set = load_policy_set(DEMO_POLICIES, load_catalog(), load_purposes())
    result = run_case(policy_set, case)
    assert result.passed, result.detail


CASE = """
cases:
  - name: count trips
    at: 2025-06-01T00:00:00Z
    request: {department: transport, purpose: transport-planning, dataset: trips,
              measures: [{kind: count}], epsilon: 0.5}
    expect: {decision: %s}
"""


@pytest.mark.parametrize(
    ("expect", "passes"),
    [
        ("allow, policy: transport-trips", True),
        ("deny, code: no_policy", False),
        ("allow, policy: other-policy", False),
    ],
)
def test_a_case_passes_only_on_the_expected_decision(
    write_dir, catalog, purposes, expect: str, passes: bool
) -> None:
    directory = write_dir({"t.yaml": [transport_policy()]}, cases=CASE % expect)
    (case,) = load_cases(directory)
    result = run_case(load_policy_set(directory, catalog, purposes), case)
    assert result.passed is passes
    assert result.detail.startswith(f"expected {case.decision}")


def test_spending_on_an_unknown_grant_fails_the_case(write_dir, catalog, purposes) -> None:
    cases = CASE % "allow, policy: transport-trips" + "    spent: {transport-trip: 1}\n"
    directory = write_dir({"t.yaml": [transport_policy()]}, cases=cases)
    (case,) = load_cases(directory)
    result = run_case(load_policy_set(directory, catalog, purposes), case)
    assert not result.passed and "unknown transport-trip" in result.detail


def test_no_tests_folder_means_no_cases(write_dir) -> None:
    assert load_cases(write_dir({"t.yaml": [transport_policy()]})) == []


def test_every_mistake_in_case_files_is_reported(write_dir) -> None:
    cases = """
cases:
  - name: no policy named
    at: 2025-06-01
    request: {department: transport, purpose: transport-planning, dataset: trips,
              measures: [{kind: count}], epsilon: 0.5}
    expect: {decision: allow}
  - name: bad request
    at: 2025-06-01
    request: {department: transport, dataset: trips, measures: [], epsilon: 0}
    expect: {decision: deny, code: no_policy}
  - name: bad request
    at: 2025-06-01
    request: {department: transport, purpose: transport-planning, dataset: trips,
              measures: [{kind: count}], epsilon: 0.5}
    expect: {decision: deny, code: no_policy}
    colour: red
"""
    with pytest.raises(PolicyError) as caught:
        load_cases(write_dir({"t.yaml": [transport_policy()]}, cases=cases))
    found = {(p.policy, p.field) for p in caught.value.problems}
    assert {
        ("'no policy named'", "expect.policy"),
        ("'bad request'", "request.purpose"),
        ("'bad request'", "request.measures"),
        ("'bad request'", "request.epsilon"),
        ("'bad request'", "colour"),
    } <= found, [str(p) for p in caught.value.problems]
    assert all(p.file == "tests/cases.yaml" for p in caught.value.problems)
    assert str(caught.value.problems[0]).startswith("tests/cases.yaml: case 'no policy named': ")


def test_case_names_are_unique(write_dir) -> None:
    cases = CASE % "allow, policy: transport-trips" + (CASE % "deny, code: no_policy").replace(
        "cases:\n", ""
    )
    with pytest.raises(PolicyError) as caught:
        load_cases(write_dir({"t.yaml": [transport_policy()]}, cases=cases))
    (problem,) = caught.value.problems
    assert (problem.policy, problem.field, problem.message) == (
        "'count trips'",
        "name",
        "duplicate case name",
    )
