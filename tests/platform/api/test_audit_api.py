"""``/api/v1/audit/events``: filters, paging, export, errors and who may read the log."""

from __future__ import annotations

import csv
import io
import json

import pytest

from civicdata.audit import record_event
from civicdata.db import utcnow
from tests.support.oauth import service_token
from tests.support.tamper import allow_tampering

API = "/api/v1/audit"


@pytest.fixture
def auditor(client, platform_) -> dict[str, str]:
    token = service_token(client, platform_, role="auditor", scopes=["audit:read"])
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def log(platform_) -> dict:
    """Entries of several kinds; returns their indices by kind and the time between them."""
    kinds: dict[str, list[int]] = {"transport": [], "health": [], "consent": []}
    with platform_.sessions() as session:
        for _ in range(3):
            kinds["transport"].append(
                record_event(
                    session,
                    actor="client:transport-app",
                    action="release.request",
                    department="transport",
                    dataset="trips",
                    purpose="mobility",
                ).id
            )
        for _ in range(2):
            kinds["health"].append(
                record_event(
                    session,
                    actor="client:health-app",
                    action="release.request",
                    decision="denied",
                    department="health",
                    dataset="visits",
                    purpose="care",
                ).id
            )
        session.commit()
    middle = utcnow()
    with platform_.sessions() as session:
        for _ in range(2):
            kinds["consent"].append(
                record_event(
                    session,
                    actor="cit-1",
                    action="consent.withdraw",
                    subject="cit-1",
                    purpose="mobility",
                ).id
            )
        session.commit()
    return {**kinds, "middle": middle}


def _indices(client, headers, query: str) -> list[int]:
    response = client.get(f"{API}/events?{query}", headers=headers)
    assert response.status_code == 200, response.text
    return [event["index"] for event in response.json["events"]]


def test_each_filter_selects_exactly_the_matching_entries_newest_first(client, auditor, log):
    newest_first = sorted
    assert _indices(client, auditor, "department=transport") == newest_first(
        log["transport"], reverse=True
    )
    assert _indices(client, auditor, "decision=denied&action=release.request") == sorted(
        log["health"], reverse=True
    )
    assert _indices(client, auditor, "dataset=visits") == sorted(log["health"], reverse=True)
    assert _indices(client, auditor, "purpose=mobility") == sorted(
        log["transport"] + log["consent"], reverse=True
    )
    assert _indices(client, auditor, "actor=cit-1") == sorted(log["consent"], reverse=True)
    assert _indices(client, auditor, "department=transport&decision=denied") == []


def test_time_range_bounds_the_entries(client, auditor, log):
    middle = log["middle"].isoformat()
    after = client.get(
        f"{API}/events", query_string={"from": middle, "action": "release.request"}, headers=auditor
    )
    assert after.status_code == 200 and after.json["events"] == []
    before = client.get(
        f"{API}/events", query_string={"to": middle, "action": "release.request"}, headers=auditor
    )
    assert [e["index"] for e in before.json["events"]] == sorted(
        log["transport"] + log["health"], reverse=True
    )
    since = client.get(
        f"{API}/events", query_string={"from": middle, "purpose": "mobility"}, headers=auditor
    )
    assert [e["index"] for e in since.json["events"]] == sorted(log["consent"], reverse=True)
    event = since.json["events"][0]
    assert event["subject"] == "cit-1" and event["action"] == "consent.withdraw"
    assert len(event["leaf_hash"]) == 64


def test_paging_with_the_cursor_returns_every_entry_once(client, auditor, log):
    url, seen = f"{API}/events?action=release.request&limit=2", []
    pages = 0
    while url:
        response = client.get(url, headers=auditor)
        assert response.status_code == 200, response.text
        assert len(response.json["events"]) <= 2
        seen += [e["index"] for e in response.json["events"]]
        url, pages = response.json["next"], pages + 1
    assert seen == sorted(log["transport"] + log["health"], reverse=True)
    assert pages == 3


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("from=yesterday", "from"),
        ("to=2020-01-01&from=2021-01-01", "to"),
        ("limit=0", "limit"),
        ("limit=100000", "limit"),
        ("before=-1", "before"),
        ("department=", "department"),
        ("colour=red", "colour"),
    ],
)
def test_bad_filters_are_400_problems_naming_the_parameter(client, auditor, query, parameter):
    response = client.get(f"{API}/events?{query}", headers=auditor)
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert parameter in response.json["errors"]["query"]


def test_bad_export_format_is_a_400_naming_it(client, auditor):
    response = client.get(f"{API}/events/export?format=xml", headers=auditor)
    assert response.status_code == 400
    assert "format" in response.json["errors"]["query"]


ROUTES = [
    "/events",
    "/events/export",
    "/events/0",
    "/checkpoint",
    "/proofs/consistency?first=0",
    "/verification",
]


def test_only_auditor_tokens_with_audit_read_may_read_the_log(client, platform_, auditor, log):
    department = service_token(
        client, platform_, role="department", scopes=["aggregates:request"], department="transport"
    )
    for route in ROUTES:
        anonymous = client.get(API + route)
        assert anonymous.status_code == 401, route
        assert anonymous.mimetype == "application/problem+json"
        assert anonymous.headers["WWW-Authenticate"].startswith("Bearer")
        other = client.get(API + route, headers={"Authorization": f"Bearer {department}"})
        assert other.status_code == 403, route
        assert other.mimetype == "application/problem+json"
        assert client.get(API + route, headers=auditor).status_code == 200, route
    assert client.get(f"{API}/events?colour=red").status_code == 401  # authorised before parsed


def test_export_holds_the_filtered_view_as_csv_and_json(client, auditor, log):
    expected = sorted(log["transport"] + log["consent"], reverse=True)
    as_csv = client.get(f"{API}/events/export?format=csv&purpose=mobility", headers=auditor)
    assert as_csv.status_code == 200
    assert as_csv.mimetype == "text/csv"
    assert 'filename="audit-events.csv"' in as_csv.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert [int(row["index"]) for row in rows] == expected
    assert {row["purpose"] for row in rows} == {"mobility"}

    as_json = client.get(f"{API}/events/export?format=json&purpose=mobility", headers=auditor)
    assert as_json.mimetype == "application/json"
    records = json.loads(as_json.text)
    assert [r["index"] for r in records] == expected
    assert records[-1]["dataset"] == "trips"


def test_csv_export_neutralises_spreadsheet_formulas(client, platform_, auditor):
    with platform_.sessions() as session:
        record_event(session, actor='=HYPERLINK("http://x")', action="probe", dataset="trips")
        session.commit()
    rows = list(
        csv.DictReader(
            io.StringIO(client.get(f"{API}/events/export?action=probe", headers=auditor).text)
        )
    )
    assert [row["actor"] for row in rows] == ['\'=HYPERLINK("http://x")']


def test_openapi_describes_the_audit_routes(client):
    spec = client.get("/api/v1/openapi.json").json
    events = spec["paths"]["/api/v1/audit/events"]["get"]
    assert {p["name"] for p in events["parameters"]} >= {"from", "to", "actor", "before", "limit"}
    assert "400" in events["responses"] and "403" in events["responses"]
    for path in ("/events/{index}", "/checkpoint", "/proofs/consistency", "/verification"):
        assert f"/api/v1/audit{path}" in spec["paths"]


def test_a_relabelled_entry_is_read_as_signed_and_fails_verification(
    client, auditor, platform_, log
):
    from sqlalchemy import update

    from civicdata.models import AuditEvent

    victim = log["health"][0]
    with platform_.engine.begin() as conn:
        allow_tampering(conn)
        conn.execute(
            update(AuditEvent.__table__)
            .where(AuditEvent.id == victim)
            .values(department="transport", decision="ok")
        )
    listed = client.get(f"{API}/events?department=transport", headers=auditor).json["events"]
    (relabelled,) = [e for e in listed if e["index"] == victim]
    assert relabelled["department"] == "health" and relabelled["decision"] == "denied"
    assert relabelled["columns_verified"] is False
    detail = client.get(f"{API}/events/{victim}", headers=auditor).json
    assert detail["inclusion"]["verified"] is False and detail["event"]["department"] == "health"
    verification = client.get(f"{API}/verification", headers=auditor).json
    assert verification["ok"] is False and verification["first_bad"] == victim
    assert any(f"entry {victim}: its decision column" in p for p in verification["problems"])
