"""The portal pages of releases: console (analyst), budgets (auditor), privacy loss (citizen)."""

from __future__ import annotations

import re

from civicdata.context import Platform
from civicdata.identity.models import Account
from tests.platform.releases.city import TinyCity
from tests.platform.releases.conftest import TRANSPORT
from tests.support.oauth import csrf_token, new_citizen, new_staff, sign_in

FORM = {
    "dataset": "trips",
    "purpose": "transport-planning",
    "measure": ["count", "mean:duration_min"],
    "group_by": "district",
    "month_from": "2025-03",
    "month_to": "2025-03",
    "epsilon": "0.5",
    "expected_records": "100",
}


def _spend(client, page: str, token: str, form: dict | None = None):  # type: ignore[no-untyped-def]
    """Press the confirmation's button of ``page`` (a second submit of the same form)."""
    confirm = re.search(r'name="confirm" value="([0-9a-f]+)"', page)
    assert confirm is not None, "the page shows no confirmation"
    data = {**(form or FORM), "action": "spend", "confirm": confirm[1], "csrf_token": token}
    return client.post("/console/query", data=data)


def _analyst(client, platform_: Platform, department: str = "transport") -> str:  # type: ignore[no-untyped-def]
    new_staff(platform_, "analyst", f"ana@{department}.example", department=department)
    assert sign_in(client, f"ana@{department}.example").status_code == 302
    return csrf_token(client.get("/console/?dataset=trips").text)


def test_plan_shows_accuracy_and_spends_nothing_then_request_shows_the_release(
    client, platform_: Platform, city: TinyCity
) -> None:  # type: ignore[no-untyped-def]
    city.populated(2)
    token = _analyst(client, platform_)
    planned = client.post("/console/query", data={**FORM, "action": "plan", "csrf_token": token})
    assert planned.status_code == 200
    assert "allowed by policy transport-trips" in planned.text and "± " in planned.text
    assert 'data-policy="transport-trips">4<' in planned.text

    asked = client.post("/console/query", data={**FORM, "action": "request", "csrf_token": token})
    assert asked.status_code == 200 and "Spend ε 0.5 of your 4 left" in asked.text
    assert 'data-policy="transport-trips">4<' in asked.text  # asking is not spending
    made = _spend(client, asked.text, token)
    assert made.status_code == 302
    page = client.get(made.headers["Location"])
    assert page.status_code == 200 and page.text.count('class="error-bar"') == 16
    assert 'data-policy="transport-trips">3.5<' in page.text
    csv = client.get(made.headers["Location"] + ".csv")
    assert csv.mimetype == "text/csv" and csv.text.startswith("measure,kind,district")

    again = _spend(client, asked.text, token)
    assert "stored=1" in again.headers["Location"]
    assert "Served from store" in client.get(again.headers["Location"]).text


def test_bad_forms_and_denials_are_shown_on_the_page(
    client, platform_: Platform, city: TinyCity
) -> None:  # type: ignore[no-untyped-def]
    token = _analyst(client, platform_)
    bad = client.post(
        "/console/query", data={**FORM, "epsilon": "lots", "action": "plan", "csrf_token": token}
    )
    assert bad.status_code == 422 and "epsilon" in bad.text
    denied = client.post(
        "/console/query", data={**FORM, "epsilon": "3", "action": "request", "csrf_token": token}
    )
    assert denied.status_code == 403 and "per-query cap" in denied.text
    assert "Spend ε" not in denied.text  # nothing to confirm
    no_csrf = client.post("/console/query", data={**FORM, "action": "plan"})
    assert no_csrf.status_code == 400


def test_the_console_is_for_analysts_of_the_releasing_department(
    client, platform_: Platform, city: TinyCity
) -> None:  # type: ignore[no-untyped-def]
    city.populated(1)
    from civicdata.releases.service import ReleaseService

    published = (
        ReleaseService(platform_)
        .request(
            TRANSPORT,
            {
                "dataset": "trips",
                "purpose": "transport-planning",
                "measures": [{"kind": "count", "name": "trips"}],
                "epsilon": "0.5",
            },
        )
        .release
    )
    assert client.get("/console/").status_code == 302  # sign in first
    _analyst(client, platform_, department="energy")
    assert client.get(f"/console/releases/{published.id}").status_code == 404
    assert client.get(f"/console/releases/{published.id}.csv").status_code == 404


def test_citizens_see_the_releases_that_used_their_data(
    client, platform_: Platform, city: TinyCity
) -> None:  # type: ignore[no-untyped-def]
    account: Account = new_citizen(platform_, "rosa@example.org")
    assert account.citizen_id is not None
    city.ciphers.update(
        {account.citizen_id: platform_.vault.cipher(platform_.sessions(), account.citizen_id)}
    )
    city.trips([account.citizen_id])
    city.consent([account.citizen_id])
    from civicdata.releases.service import ReleaseService

    published = (
        ReleaseService(platform_)
        .request(
            TRANSPORT,
            {
                "dataset": "trips",
                "purpose": "transport-planning",
                "measures": [{"kind": "count", "name": "trips"}],
                "epsilon": "0.25",
            },
        )
        .release
    )
    assert sign_in(client, "rosa@example.org").status_code == 302
    page = client.get("/my/privacy-loss")
    assert page.status_code == 200
    assert (
        published.id in page.text
        and "<td>Public transport trips</td><td>0.25</td><td>6</td>" in page.text
    )


def test_auditors_see_spending_per_department_dataset_and_period(
    client, platform_: Platform, city: TinyCity
) -> None:  # type: ignore[no-untyped-def]
    city.populated(1)
    from civicdata.releases.service import ReleaseService

    ReleaseService(platform_).request(
        TRANSPORT,
        {
            "dataset": "trips",
            "purpose": "transport-planning",
            "measures": [{"kind": "count", "name": "trips"}],
            "epsilon": "0.75",
        },
    )
    new_staff(platform_, "auditor", "audrey@city.example")
    assert sign_in(client, "audrey@city.example").status_code == 302
    page = client.get("/auditor/budgets")
    assert page.status_code == 200
    assert (
        "<td>transport-trips</td><td>transport</td><td>trips</td><td>30 days</td><td>4</td><td>0.75</td><td>3.25</td>"
        in page.text
    )
    assert "<td>transport</td><td>trips</td><td>0.75</td><td>1</td>" in page.text
    catalan = client.get("/auditor/budgets", headers={"Accept-Language": "ca"}).text
    assert "<td>30 dies</td><td>4</td><td>0,75</td><td>3,25</td>" in catalan
    assert page.text.count('class="limit"') >= 2
    citizen_denied = client.get("/console/")
    assert citizen_denied.status_code == 403
