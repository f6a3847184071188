"""Least visibility of budgets: a department sees only its own grants and its share of caps.

The police hold no grant at all: they must see nothing of transport's spending
or timing, through the API or the console. Auditors see everything.
"""

from __future__ import annotations

import re

import pytest

from civicdata.context import Platform
from tests.platform.releases.city import TinyCity, count_query
from tests.support.oauth import new_staff, service_token, sign_in

MICROSECONDS = re.compile(r"\d{2}:\d{2}:\d{2}\.\d+")


def _bearer(client, platform_: Platform, role: str, scope: str, department=None):  # type: ignore[no-untyped-def]
    token = service_token(client, platform_, role=role, scopes=[scope], department=department)
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def spent(client, platform_: Platform) -> None:  # type: ignore[no-untyped-def]
    """Transport has spent 0.75 of its grant and of the trips cap."""
    TinyCity(platform_).populated(2)
    transport = _bearer(client, platform_, "department", "aggregates:request", "transport")
    made = client.post("/api/v1/releases", json=count_query("0.75"), headers=transport)
    assert made.status_code == 201, made.text


def test_the_police_see_nothing_of_transport(client, platform_, spent) -> None:  # type: ignore[no-untyped-def]
    police = _bearer(client, platform_, "department", "aggregates:request", "police")
    seen = client.get("/api/v1/budgets", headers=police)
    assert seen.status_code == 200
    assert seen.json["grants"] == [] and seen.json["city_caps"] == []
    assert "trips" not in seen.text and "transport" not in seen.text
    assert not MICROSECONDS.search(seen.text)


def test_a_department_sees_its_own_grants_and_what_is_left_for_it(client, platform_, spent) -> None:  # type: ignore[no-untyped-def]
    energy = _bearer(client, platform_, "department", "aggregates:request", "energy")
    seen = client.get("/api/v1/budgets", headers=energy).json
    assert {g["department"] for g in seen["grants"]} == {"energy"}
    datasets = {g["dataset"] for g in seen["grants"]}
    assert {c["dataset"] for c in seen["city_caps"]} <= datasets
    for cap in seen["city_caps"]:
        assert set(cap) == {"dataset", "period", "cap", "remaining_for_you"}

    transport = _bearer(client, platform_, "department", "aggregates:request", "transport")
    own = client.get("/api/v1/budgets", headers=transport)
    assert not MICROSECONDS.search(own.text)  # its own renewal, to the minute
    assert own.json["grants"][0]["renews_at"].endswith(":00+00:00")
    assert own.json["city_caps"] == [
        {"dataset": "trips", "period": "P30D", "cap": "6", "remaining_for_you": "3.25"}
    ]


def test_auditors_see_every_grant_and_the_caps_with_spending_and_timing(
    client, platform_, spent
) -> None:  # type: ignore[no-untyped-def]
    auditor = _bearer(client, platform_, "auditor", "audit:read")
    seen = client.get("/api/v1/budgets", headers=auditor).json
    assert {g["department"] for g in seen["grants"]} >= {"transport", "energy", "health"}
    trips = next(c for c in seen["city_caps"] if c["dataset"] == "trips")
    assert trips["spent"] == "0.75" and trips["remaining"] == "5.25" and trips["renews_at"]


def test_the_console_shows_an_analyst_only_their_department(app, platform_, spent) -> None:  # type: ignore[no-untyped-def]
    new_staff(platform_, "analyst", "officer@police.example", department="police")
    police = app.test_client()
    assert sign_in(police, "officer@police.example").status_code == 302
    page = police.get("/console/")
    assert page.status_code == 200
    assert "transport" not in page.text.lower() and not MICROSECONDS.search(page.text)
    new_staff(platform_, "analyst", "ana@transport.example", department="transport")
    transport = app.test_client()
    assert sign_in(transport, "ana@transport.example").status_code == 302
    own = transport.get("/console/")
    assert "transport-trips" in own.text and not MICROSECONDS.search(own.text)
