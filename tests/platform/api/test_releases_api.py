"""``/api/v1/releases`` and ``/api/v1/budgets`` through the Flask test client."""

from __future__ import annotations

import base64
import csv
import io
import json
import re

import pytest
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from civicdata.context import Platform
from tests.platform.releases.city import TinyCity, count_query
from tests.support.oauth import service_token

MEAN = {"kind": "mean", "name": "minutes", "field": "duration_min", "expected_records": 100}


@pytest.fixture
def city(platform_: Platform) -> TinyCity:
    return TinyCity(platform_)


@pytest.fixture
def transport(client, platform_: Platform) -> dict[str, str]:  # type: ignore[no-untyped-def]
    token = service_token(
        client, platform_, role="department", scopes=["aggregates:request"], department="transport"
    )
    return {"Authorization": f"Bearer {token}"}


def test_plan_then_request_then_read_as_json_and_csv(client, transport, city) -> None:  # type: ignore[no-untyped-def]
    city.populated(3)
    query = {**count_query("0.5"), "measures": [{"kind": "count", "name": "trips"}, MEAN]}
    planned = client.post("/api/v1/releases/plan", json=query, headers=transport)
    assert planned.status_code == 200, planned.text
    assert planned.json["allowed"] and planned.json["epsilon"] == "0.5"
    half_widths = {m["name"]: m["half_width"] for m in planned.json["plan"]["measures"]}
    assert half_widths["trips"] > 0 and half_widths["minutes"] > 0

    made = client.post("/api/v1/releases", json=query, headers=transport)
    assert made.status_code == 201, made.text
    body = made.json
    assert body["charged"] == {"epsilon": "0.5", "delta": "0"} and not body["served_from_store"]
    trips = [c for c in body["release"]["cells"] if c["measure"] == "trips"]
    assert {c["group"]["district"] for c in trips} == set(
        client.get("/api/v1/datasets").json[0]["fields"][1]["domain"]
    )
    assert trips[0]["half_width"] == pytest.approx(half_widths["trips"])

    location = made.headers["Location"]
    read = client.get(location, headers=transport)
    assert read.status_code == 200 and read.json["release"] == body["release"]
    pem = client.get("/api/v1/releases/signing-key").data
    kid = read.json["signature"]["key_id"]
    message = (
        b"civic-release/v2\n"
        + kid.encode()
        + b"\n"
        + json.dumps(
            read.json["release"], sort_keys=True, separators=(",", ":"), ensure_ascii=False
        ).encode("utf-8")
    )
    load_pem_public_key(pem).verify(base64.b64decode(read.json["signature"]["value"]), message)  # type: ignore[union-attr]

    as_csv = client.get(f"{location}?format=csv", headers=transport)
    by_accept = client.get(location, headers={**transport, "Accept": "text/csv"})
    assert as_csv.mimetype == "text/csv" and by_accept.data == as_csv.data
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert len(rows) == len(body["release"]["cells"])
    assert {"value", "lower", "upper", "half_width", "district"} <= set(rows[0])

    again = client.post("/api/v1/releases", json=query, headers=transport)
    assert again.status_code == 200 and again.json["served_from_store"]
    assert again.json["charged"]["epsilon"] == "0"
    listed = client.get("/api/v1/releases", headers=transport).json
    assert [r["id"] for r in listed] == [body["release"]["id"]]


def test_budgets_go_down_and_show_the_city_caps(client, transport, city) -> None:  # type: ignore[no-untyped-def]
    city.populated(2)
    before = client.get("/api/v1/budgets", headers=transport).json
    assert [g["policy_id"] for g in before["grants"]] == ["transport-trips"]
    assert before["grants"][0]["remaining"]["epsilon"] == "4"
    assert before["grants"][0]["renews_at"] is None
    client.post("/api/v1/releases", json=count_query("0.75"), headers=transport)
    after = client.get("/api/v1/budgets", headers=transport).json
    assert after["grants"][0]["remaining"]["epsilon"] == "3.25"
    assert after["grants"][0]["renews_at"] is not None
    trips = next(c for c in after["city_caps"] if c["dataset"] == "trips")
    assert trips == {**trips, "cap": "6", "spent": "0.75", "remaining": "5.25"}


def test_a_denial_is_a_403_problem_with_the_explanation(client, transport, city) -> None:  # type: ignore[no-untyped-def]
    city.populated(2)
    denied = client.post("/api/v1/releases", json=count_query("2"), headers=transport)
    assert denied.status_code == 403
    assert denied.mimetype == "application/problem+json"
    assert "per-query cap of policy transport-trips" in denied.json["detail"]
    assert denied.json["failure"]["clause"] == "epsilon"


def test_invalid_queries_are_422_problems_naming_the_field(client, transport, city) -> None:  # type: ignore[no-untyped-def]
    bad = client.post(
        "/api/v1/releases", json={**count_query("0.5"), "group_by": ["colour"]}, headers=transport
    )
    assert bad.status_code == 422 and bad.mimetype == "application/problem+json"
    assert "group_by.0" in bad.json["errors"]
    not_json = client.post("/api/v1/releases", data="epsilon=1", headers=transport)
    assert not_json.status_code == 422 and "body" in not_json.json["errors"]
    unreachable = {
        **count_query("1"),
        "measures": [{"kind": "count", "name": "t", "target_half_width": 1e-9}],
    }
    del unreachable["epsilon"]
    far = client.post("/api/v1/releases/plan", json=unreachable, headers=transport)
    assert far.status_code == 422 and "measures" in far.json["errors"]
    assert (
        client.get("/api/v1/budgets", headers=transport).json["grants"][0]["spent"]["epsilon"]
        == "0"
    )


def test_answers_look_the_same_whoever_is_in_the_data(client, transport, platform_) -> None:  # type: ignore[no-untyped-def]
    """Zero, one or many consenting citizens: same shape, same accuracy, no count anywhere."""
    city = TinyCity(platform_)
    shapes, denials = [], []
    for size in (0, 1, 25):
        city.populated(size) if size else None
        made = client.post(
            "/api/v1/releases", json=count_query("0.5", fresh=True), headers=transport
        )
        assert made.status_code == 201
        release = made.json["release"]
        shapes.append(
            (
                sorted(release),
                [(sorted(c), c["group"], c["half_width"]) for c in release["cells"]],
                release["truncation"],
            )
        )
        denied = client.post("/api/v1/releases", json=count_query("5"), headers=transport)
        denials.append(re.sub(r"\d{4}-\d\d-\d\dT[\d:.+]+", "T", denied.text))
    assert shapes[0] == shapes[1] == shapes[2]
    assert denials[0] == denials[1] == denials[2]


def test_other_departments_cannot_read_a_release(client, transport, platform_, city) -> None:  # type: ignore[no-untyped-def]
    city.populated(1)
    made = client.post("/api/v1/releases", json=count_query("0.5"), headers=transport).json
    energy = service_token(
        client, platform_, role="department", scopes=["aggregates:request"], department="energy"
    )
    other = client.get(
        f"/api/v1/releases/{made['release']['id']}", headers={"Authorization": f"Bearer {energy}"}
    )
    assert other.status_code == 404 and other.mimetype == "application/problem+json"
    assert client.get(f"/api/v1/releases/{made['release']['id']}").status_code == 401


def test_the_openapi_document_describes_the_release_api(client) -> None:  # type: ignore[no-untyped-def]
    spec = client.get("/api/v1/openapi.json").json
    for path in (
        "/api/v1/releases",
        "/api/v1/releases/plan",
        "/api/v1/releases/{release_id}",
        "/api/v1/budgets",
        "/api/v1/policies",
    ):
        assert path in spec["paths"], path
    body = spec["paths"]["/api/v1/releases"]["post"]["requestBody"]["content"]["application/json"]
    assert "ReleaseRequest" in body["schema"]["$ref"]
