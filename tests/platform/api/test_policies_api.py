"""``GET /api/v1/policies?at=...``: the policy set in force, for auditors and departments."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from civicdata.context import Platform
from civicdata.db import utcnow
from policies.history import record_policy_set
from tests.support.oauth import service_token


def _bearer(client, platform_: Platform, role: str, **kwargs: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    scope = "audit:read" if role == "auditor" else "aggregates:request"
    token = service_token(client, platform_, role=role, scopes=[scope], **kwargs)
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def history(platform_: Platform) -> tuple[datetime, datetime]:
    """An older set (without the health policy) loaded a day ago, the current one now."""
    current = platform_.policy_set
    older = dataclasses.replace(
        current, policies=tuple(p for p in current.policies if p.department != "health")
    )
    day_ago, now = utcnow() - timedelta(days=1), utcnow()
    with platform_.engine.begin() as conn:
        record_policy_set(conn, older, day_ago)
        record_policy_set(conn, current, now)
    return day_ago, now


def test_auditors_see_the_whole_set_in_force_at_a_time(client, platform_, history) -> None:  # type: ignore[no-untyped-def]
    auditor = _bearer(client, platform_, "auditor")
    day_ago, _ = history
    then = client.get(
        "/api/v1/policies",
        query_string={"at": (day_ago + timedelta(hours=1)).isoformat()},
        headers=auditor,
    )
    now = client.get("/api/v1/policies", headers=auditor)
    assert then.status_code == now.status_code == 200
    assert "health-clinic-visits" not in {p["id"] for p in then.json["policies"]}
    assert "health-clinic-visits" in {p["id"] for p in now.json["policies"]}
    assert now.json["policy_set_hash"] == platform_.policy_set.content_hash
    assert then.json["policy_set_hash"] != now.json["policy_set_hash"]
    assert now.json["city_caps"]["trips"] == {"epsilon": "6", "period": "P30D"}


def test_departments_see_only_their_own_policies(client, platform_, history) -> None:  # type: ignore[no-untyped-def]
    statistics = _bearer(client, platform_, "department", department="statistics")
    listed = client.get("/api/v1/policies", headers=statistics).json["policies"]
    assert listed and {p["department"] for p in listed} == {"statistics"}


def test_before_the_first_set_and_bad_times_are_problems(client, platform_, history) -> None:  # type: ignore[no-untyped-def]
    auditor = _bearer(client, platform_, "auditor")
    early = client.get(
        "/api/v1/policies", query_string={"at": "2001-01-01T00:00:00Z"}, headers=auditor
    )
    assert early.status_code == 404 and early.mimetype == "application/problem+json"
    assert "at:" in early.json["detail"]
    bad = client.get("/api/v1/policies", query_string={"at": "yesterday"}, headers=auditor)
    assert bad.status_code == 422 and "at" in str(bad.json["errors"])
    naive = client.get(
        "/api/v1/policies",
        query_string={"at": datetime.now(UTC).replace(tzinfo=None).isoformat()},
        headers=auditor,
    )
    assert naive.status_code == 200  # no offset: read as UTC


def test_other_roles_are_refused(client, platform_, history) -> None:  # type: ignore[no-untyped-def]
    source = service_token(client, platform_, role="source", scopes=["ingest:trips"])
    refused = client.get("/api/v1/policies", headers={"Authorization": f"Bearer {source}"})
    assert refused.status_code == 403


def test_auditors_compare_the_sets_of_two_moments(client, platform_, history) -> None:  # type: ignore[no-untyped-def]
    auditor = _bearer(client, platform_, "auditor")
    day_ago, now = history
    compared = client.get(
        "/api/v1/policies/compare",
        query_string={
            "first": (day_ago + timedelta(hours=1)).isoformat(),
            "second": now.isoformat(),
        },
        headers=auditor,
    )
    assert compared.status_code == 200, compared.text
    body = compared.json
    assert [p["id"] for p in body["added"]] == ["health-clinic-visits"]
    assert body["removed"] == [] and body["changed"] == [] and body["city_caps"] == []
    assert body["second"]["policy_set_hash"] == platform_.policy_set.content_hash
    assert body["first"]["policy_set_hash"] != body["second"]["policy_set_hash"]
    backwards = client.get(
        "/api/v1/policies/compare",
        query_string={"first": now.isoformat(), "second": "2001-01-01"},
        headers=auditor,
    ).json
    assert backwards["second"]["policy_set_hash"] is None  # nothing loaded yet in 2001
    assert len(backwards["removed"]) == len(platform_.policy_set.policies)


def test_a_changed_policy_lists_its_fields_in_words(client, platform_) -> None:  # type: ignore[no-untyped-def]
    from decimal import Decimal

    from policies.budget import Cost

    current = platform_.policy_set
    libraries = current.get("libraries-loans")
    cheaper = dataclasses.replace(libraries, budget=Cost(Decimal(2)))
    older = dataclasses.replace(
        current, policies=tuple(cheaper if p.id == libraries.id else p for p in current.policies)
    )
    with platform_.engine.begin() as conn:
        record_policy_set(conn, older, datetime(2025, 1, 1, tzinfo=UTC))
        record_policy_set(conn, current, datetime(2025, 6, 1, tzinfo=UTC))
    statistics = _bearer(client, platform_, "department", department="statistics")
    own = client.get(
        "/api/v1/policies/compare?first=2025-02-01&second=2025-07-01", headers=statistics
    ).json
    assert (
        own["changed"] == []
        and own["unchanged"]
        and all("statistics" in p for p in own["unchanged"])
    )
    auditor = _bearer(client, platform_, "auditor")
    body = client.get(
        "/api/v1/policies/compare?first=2025-02-01&second=2025-07-01", headers=auditor
    ).json
    assert body["changed"] == [
        {
            "id": "libraries-loans",
            "fields": [
                {
                    "field": "budget",
                    "label": "Budget",
                    "before": "ε 2 per rolling 30 days",
                    "after": "ε 3 per rolling 30 days",
                    "added": [],
                    "removed": [],
                }
            ],
        }
    ]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("first=2025-01-01", "second"),
        ("second=2025-01-01", "first"),
        ("first=yesterday&second=2025-01-01", "first"),
        ("first=2025-01-01&second=2025-13-40", "second"),
        ("first=2025-01-01&second=2025-02-01&third=x", "third"),
    ],
)
def test_bad_moments_are_problems_naming_the_field(client, platform_, query, field) -> None:  # type: ignore[no-untyped-def]
    auditor = _bearer(client, platform_, "auditor")
    answer = client.get(f"/api/v1/policies/compare?{query}", headers=auditor)
    assert answer.status_code == 400 and answer.mimetype == "application/problem+json"
    assert field in answer.json["errors"]["query"] and f"query.{field}" in answer.json["detail"]
