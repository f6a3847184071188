"""The console's planner: measures and mechanism from the policy, warnings, confirmation, words."""

from __future__ import annotations

import re

import pytest

from civicdata.context import Platform
from tests.platform.releases.city import TinyCity
from tests.support.oauth import csrf_token, new_staff, sign_in

ISSUE_CASE = {  # count and mean trip duration by district for one month at epsilon 0.5
    "dataset": "trips",
    "purpose": "transport-planning",
    "measure": ["count", "mean:duration_min"],
    "group_by": "district",
    "month_from": "2025-03",
    "month_to": "2025-03",
    "epsilon": "0.5",
}
DEMOGRAPHICS = {
    "dataset": "demographics",
    "purpose": "population-statistics",
    "measure": ["count", "histogram:household_size"],
    "bins:histogram:household_size": "1, 2, 3, 4, 5, 6, 7, 8",
    "group_by": "district",
    "epsilon": "0.5",
}


@pytest.fixture
def city(platform_: Platform) -> TinyCity:
    return TinyCity(platform_)


def _analyst(client, platform_: Platform, department: str, dataset: str) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    new_staff(platform_, "analyst", f"ana@{department}.example", department=department)
    assert sign_in(client, f"ana@{department}.example").status_code == 302
    page = client.get(f"/console/?dataset={dataset}").text
    return csrf_token(page), page


def _confirm(page: str) -> str:
    found = re.search(r'name="confirm" value="([0-9a-f]+)"', page)
    assert found is not None, "no confirmation on the page"
    return found[1]


def test_the_form_offers_every_allowed_measure_and_defaults_the_policys_mechanism(
    client, platform_: Platform, city: TinyCity
) -> None:  # type: ignore[no-untyped-def]
    _token, page = _analyst(client, platform_, "statistics", "demographics")
    assert '<option value="gaussian" selected>' in page
    assert 'name="delta" inputmode="decimal" value="0.00000025"' in page  # 1e-6 x 0.5 / 2
    for value in ("count", "distinct_citizens", "mean:household_size"):
        assert f'name="measure" value="{value}"' in page
    assert 'name="bins:histogram:household_size"' in page and "1, 2, 3, 4, 5, 6, 7, 8" in page
    loans = client.get("/console/?dataset=library_loans")  # not this department's: no form
    assert 'name="measure"' not in loans.text


def test_a_statistics_analyst_gets_a_gaussian_histogram_of_demographics(
    client, platform_: Platform, city: TinyCity
) -> None:  # type: ignore[no-untyped-def]
    token, _page = _analyst(client, platform_, "statistics", "demographics")
    form = {**DEMOGRAPHICS, "csrf_token": token}  # mechanism and delta left to their defaults
    asked = client.post("/console/query", data={**form, "action": "request"})
    assert asked.status_code == 200, asked.text
    assert "Gaussian mechanism" in asked.text and "Spend ε 0.5 of your 2 left" in asked.text
    made = client.post(
        "/console/query",
        data={
            **form,
            "mechanism": "gaussian",
            "delta": "0.00000025",
            "action": "spend",
            "confirm": _confirm(asked.text),
        },
    )
    assert made.status_code == 302, made.text
    page = client.get(made.headers["Location"]).text
    assert "(gaussian)" in page
    assert "Count of records and histogram of household_size (people) in 7 bins by district" in page
    assert "Gaussian mechanism" in page
    assert page.count('class="chart-table"') == 2  # a table for each chart
    assert "[1, 2)" in page


def test_the_issues_case_warns_with_the_epsilon_that_would_help_before_spending(
    client, platform_: Platform, city: TinyCity
) -> None:  # type: ignore[no-untyped-def]
    token, _page = _analyst(client, platform_, "transport", "trips")
    planned = client.post(
        "/console/query", data={**ISSUE_CASE, "action": "plan", "csrf_token": token}
    )
    assert planned.status_code == 200
    assert 'id="plan-warning"' in planned.text
    assert (
        "Count of records: ± 240.2 is at least the value it is likely to have (about 200)"
        in planned.text
    )
    assert (
        "Mean of duration_min (minutes): the interval would cover the whole range" in planned.text
    )
    assert "Even ε 10 would not bring every measure within ± 25 %" in planned.text
    assert "50 % (ε 0.25)" in planned.text  # the split, shown
    assert 'name="confirm"' not in planned.text  # planning confirms nothing

    count_only = {**ISSUE_CASE, "measure": "count", "epsilon": "0.2", "accuracy": "0.5"}
    useful = client.post(
        "/console/query", data={**count_only, "action": "plan", "csrf_token": token}
    )
    found = re.search(r"With this split, ε ([0-9.]+) would bring", useful.text)
    assert found is not None and 0.2 < float(found[1]) < 1
    assert 'data-policy="transport-trips">4<' in useful.text  # nothing spent


def test_a_changed_query_must_be_confirmed_again(
    client, platform_: Platform, city: TinyCity
) -> None:  # type: ignore[no-untyped-def]
    city.populated(2)
    token, _page = _analyst(client, platform_, "transport", "trips")
    form = {**ISSUE_CASE, "csrf_token": token}
    asked = client.post("/console/query", data={**form, "action": "request"})
    assert "Spend ε 0.5 of your 4 left" in asked.text
    confirm = _confirm(asked.text)
    changed = client.post(
        "/console/query", data={**form, "epsilon": "0.75", "action": "spend", "confirm": confirm}
    )
    assert changed.status_code == 200 and "Spend ε 0.75 of your 4 left" in changed.text
    assert "The query changed since you confirmed it" in changed.text
    assert 'data-policy="transport-trips">4<' in changed.text
    made = client.post("/console/query", data={**form, "action": "spend", "confirm": confirm})
    assert made.status_code == 302
    listing = client.get("/console/?dataset=trips").text
    assert (
        "Count of records and mean of duration_min (minutes) by district, "
        "for month 2025-03; Laplace mechanism"
    ) in listing
    release = client.get(made.headers["Location"]).text
    assert "mean of duration_min (minutes) by district" in release
    assert "duration_min (minutes)" in release and "Records" in release  # value axes


def test_the_live_plan_answers_json_with_the_rendered_section(
    client, platform_: Platform, city: TinyCity
) -> None:  # type: ignore[no-untyped-def]
    token, _page = _analyst(client, platform_, "transport", "trips")
    answer = client.post(
        "/console/plan", data={**ISSUE_CASE, "action": "request", "csrf_token": token}
    )
    assert answer.status_code == 200
    plan = answer.get_json()
    assert plan["warned"] is True and plan["epsilon"] == "0.5" and plan["left"] == "4"
    assert [m["reason"] for m in plan["measures"]] == ["value", "range"]
    assert 'id="plan-warning"' in plan["html"] and "Spend ε 0.5 of your 4 left" in plan["html"]
    bad = client.post("/console/plan", data={**ISSUE_CASE, "epsilon": "lots", "csrf_token": token})
    assert bad.status_code == 422 and "epsilon" in bad.get_json()["errors"]
    assert client.post("/console/plan", data=ISSUE_CASE).status_code == 400  # CSRF
