"""`civic policy check|test|explain` through click's test runner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from civicdata.cli import cli
from tests.policies.helpers import transport_policy


@pytest.fixture
def run(tmp_path: Path):
    env = {"CIVIC_ENV": "testing", "CIVIC_INSTANCE_PATH": str(tmp_path / "instance")}

    def invoke(*args: str):
        return CliRunner().invoke(cli, ["policy", *args], env=env)

    return invoke


def test_check_passes_on_the_demo_city(run) -> None:
    result = run("check")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("ok: 9 policies, ")


def test_check_reports_every_mistake_in_one_run(run, write_dir) -> None:
    directory = write_dir(
        {
            "a.yaml": [
                transport_policy(group_by=["household_size"], max_epsilon_per_query=9),
                transport_policy(
                    id="second", department="parks", valid_from="2027-01-01", valid_until=None
                ),
            ],
            "b.yaml": "policies:\n  - id: broken\n    colour: red\n",
            "c.yaml": "policies: [",
        },
        cases="cases:\n  - name: x\n",
    )
    result = run("check", str(directory))
    assert result.exit_code == 1
    lines = result.output.splitlines()
    errors = [line for line in lines if line.startswith("error: ")]
    expected = [
        "error: a.yaml: policy transport-trips: max_epsilon_per_query: 9 exceeds the budget",
        "error: a.yaml: policy transport-trips: group_by: 'household_size' is not a field",
        "error: a.yaml: policy second: department: unknown department 'parks'",
        "error: b.yaml: policy broken: colour: Unknown field.",
        "error: b.yaml: policy broken: department: Missing data",
        "error: c.yaml: not valid YAML at line",
        "error: tests/cases.yaml: case 'x': at: Missing data",
    ]
    for start in expected:
        assert any(line.startswith(start) for line in errors), (start, result.output)
    assert lines[-1] == f"{len(errors)} problem(s) found"


def test_check_refuses_a_broken_catalog(run, write_dir, tmp_path: Path) -> None:
    bad = tmp_path / "catalog.yaml"
    bad.write_text("city: {id: x}\n")
    result = run("check", str(write_dir({"t.yaml": [transport_policy()]})), "--catalog", str(bad))
    assert result.exit_code == 1 and "catalog.yaml" in result.output


def test_test_runs_the_demo_city_cases(run) -> None:
    result = run("test")
    assert result.exit_code == 0, result.output
    assert "PASS tests/decisions.yaml: the police get nothing" in result.output
    assert result.output.splitlines()[-1].endswith("passed, 0 failed")


def test_test_reports_a_failing_case_and_exits_non_zero(run, write_dir) -> None:
    cases = """
cases:
  - name: transport may group by mode
    at: 2025-06-01T00:00:00Z
    request: {department: transport, purpose: transport-planning, dataset: trips,
              measures: [{kind: count}], group_by: [mode], epsilon: 0.5}
    expect: {decision: allow, policy: transport-trips}
"""
    directory = write_dir({"t.yaml": [transport_policy(group_by=["district"])]}, cases=cases)
    result = run("test", str(directory))
    assert result.exit_code == 1
    assert "FAIL tests/cases.yaml: transport may group by mode" in result.output
    assert "group-by 'mode' is not allowed by policy transport-trips" in result.output
    assert "0 passed, 1 failed" in result.output


def test_test_without_cases_is_an_error(run, write_dir) -> None:
    result = run("test", str(write_dir({"t.yaml": [transport_policy()]})))
    assert result.exit_code == 1 and "no test cases" in result.output


EXPLAIN = [
    "explain",
    "--department",
    "transport",
    "--dataset",
    "trips",
    "--purpose",
    "transport-planning",
    "--measure",
    "count",
    "--measure",
    "mean:duration_min",
    "--group-by",
    "district",
    "--filter",
    "month:between:2025-01,2025-03",
    "--at",
    "2025-06-01T00:00:00Z",
]


def test_explain_allows_with_full_budgets(run) -> None:
    result = run(*EXPLAIN, "--epsilon", "0.5")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("ALLOW: allowed by policy transport-trips")
    assert "grant epsilon left before: 4, after: 3.5" in result.output


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--epsilon", "0.5", "--spent", "3.500001"], "ask for at most 0.499999"),
        (["--epsilon", "0.5", "--city-spent", "5.6"], "city-wide cap on trips"),
        (["--epsilon", "0.5", "--group-by", "household_size"], "group-by 'household_size'"),
    ],
)
def test_explain_denies_and_says_why(run, extra: list[str], message: str) -> None:
    result = run(*EXPLAIN, *extra)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("DENY: ") and message in result.output


def test_explain_as_json(run) -> None:
    result = run(*EXPLAIN, "--epsilon", "0.5", "--json")
    data = json.loads(result.output)
    assert (data["decision"], data["policy_id"]) == ("allow", "transport-trips")
    assert data["request"]["filters"][0]["value"] == ["2025-01", "2025-03"]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--epsilon", "0"], "epsilon: must be greater than 0"),
        (["--epsilon", "0.5", "--spent", "lots"], "--spent/--city-spent"),
        (["--epsilon", "0.5", "--filter", "month"], "use FIELD:OP:VALUE"),
        (["--epsilon", "0.5", "--at", "soon"], "--at 'soon'"),
    ],
)
def test_explain_refuses_bad_input_clearly(run, extra: list[str], message: str) -> None:
    result = run(*EXPLAIN, *extra)
    assert result.exit_code == 1 and message in result.output, result.output
