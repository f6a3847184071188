"""The ingestion API over real HTTP with client-credentials tokens of source clients."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from sqlalchemy import func, select

from civicdata.models import Ingestion, RecordBlock, SourceRecord
from civicdata.records import scan_dataset
from tests.support.live_server import LiveServer, serve_platform
from tests.support.oauth import service_token

NDJSON = {"Content-Type": "application/x-ndjson"}
TRIPS = "/api/v1/datasets/trips/records"


def trip(i: int, **changes: Any) -> dict[str, Any]:
    return {
        "source_id": f"op-{i}",
        "travel_card": f"TC-{i % 50:04d}",
        "mode": "tram",
        "district": "Old Town",
        "month": "2025-06",
        "duration_min": 10 + i % 30,
        **changes,
    }


def ndjson(records: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in records).encode()


@pytest.fixture
def server(config) -> Iterator[LiveServer]:
    with serve_platform(dataclasses.replace(config, max_upload_mb=1)) as live:
        yield live


def token(server: LiveServer, scopes: list[str], role: str = "source") -> dict[str, str]:
    value = service_token(
        server.app.test_client(),
        server.platform,
        role=role,
        scopes=scopes,
        department="transport" if role == "department" else None,
    )
    return {"Authorization": f"Bearer {value}"}


def stored(server: LiveServer) -> int:
    with server.platform.sessions() as session:
        return session.scalar(select(func.count()).select_from(SourceRecord))


def bulk(server, auth, body, key="key-1", mode=None, headers=NDJSON, dataset="trips"):
    url = f"{server.url}/api/v1/datasets/{dataset}/records/bulk"
    extra = {} if key is None else {"Idempotency-Key": key}
    params = {} if mode is None else {"mode": mode}
    return requests.post(
        url, data=body, params=params, headers={**auth, **headers, **extra}, timeout=60
    )


def test_a_valid_bulk_upload_is_stored_and_decrypts(server) -> None:
    auth = token(server, ["ingest:trips"])
    records = [trip(i) for i in range(500)]
    answer = bulk(server, auth, ndjson(records))
    assert answer.status_code == 201, answer.text
    report = answer.json()
    assert (report["status"], report["stored"]) == ("completed", 500)
    assert answer.headers["Location"] == f"/api/v1/ingestions/{report['id']}"
    with server.platform.sessions() as session:
        frame = scan_dataset(
            session, server.platform.vault, server.platform.catalog.datasets["trips"]
        )
        blocks = session.scalar(select(func.count()).select_from(RecordBlock))
    assert frame.height == 500
    assert blocks == 50  # one per citizen
    assert sorted(frame["duration_min"].to_list()) == sorted(
        float(r["duration_min"]) for r in records
    )
    status = requests.get(
        f"{server.url}/api/v1/ingestions/{report['id']}", headers=auth, timeout=10
    )
    assert status.status_code == 200
    assert (status.json()["status"], status.json()["stored"]) == ("completed", 500)


def test_a_csv_upload_is_stored(server) -> None:
    auth = token(server, ["ingest:trips"])
    lines = ["source_id,travel_card,mode,district,month,duration_min"]
    lines += [f"c{i},TC-{i},bus,Harbour,2025-0{i % 9 + 1},{i}.5" for i in range(30)]
    answer = bulk(server, auth, "\n".join(lines).encode(), headers={"Content-Type": "text/csv"})
    assert answer.status_code == 201, answer.text
    assert answer.json()["stored"] == 30


def test_one_bad_line_stores_nothing_and_names_line_and_field(server) -> None:
    auth = token(server, ["ingest:trips"])
    records = [trip(i) for i in range(300)]
    records[211]["district"] = "Atlantis"
    answer = bulk(server, auth, ndjson(records))
    assert answer.status_code == 422
    assert answer.headers["Content-Type"] == "application/problem+json"
    problem = answer.json()
    assert problem["status"] == 422
    assert problem["errors"] == [
        {"line": 212, "field": "district", "message": problem["errors"][0]["message"]}
    ]
    assert "Atlantis" not in answer.text  # the value is not echoed
    assert stored(server) == 0


def test_partial_mode_stores_the_valid_lines(server) -> None:
    auth = token(server, ["ingest:trips"])
    records = [trip(i) for i in range(100)]
    records[10]["duration_min"] = -3
    records[90]["extra"] = "x"
    answer = bulk(server, auth, ndjson(records), mode="partial")
    assert answer.status_code == 201
    report = answer.json()
    assert (report["status"], report["stored"], report["rejected"]) == ("partial", 98, 2)
    assert [(e["line"], e["field"]) for e in report["errors"]] == [
        (11, "duration_min"),
        (91, "extra"),
    ]
    assert stored(server) == 98


def test_a_retry_with_the_same_idempotency_key_is_stored_once(server) -> None:
    auth = token(server, ["ingest:trips"])
    body = ndjson([trip(i) for i in range(200)])
    first = bulk(server, auth, body, key="upload-2026-11-23")
    second = bulk(server, auth, body, key="upload-2026-11-23")
    assert first.status_code == second.status_code == 201
    assert second.content == first.content
    assert stored(server) == 200
    changed = bulk(server, auth, body + ndjson([trip(999)]), key="upload-2026-11-23")
    assert changed.status_code == 422
    assert changed.json()["errors"][0]["field"] == "Idempotency-Key"
    with server.platform.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Ingestion)) == 1


def test_a_source_without_the_datasets_scope_is_forbidden(server) -> None:
    auth = token(server, ["ingest:electricity"])
    answer = bulk(server, auth, ndjson([trip(1)]))
    assert answer.status_code == 403
    assert answer.headers["Content-Type"] == "application/problem+json"
    department = token(server, ["aggregates:request"], role="department")
    assert bulk(server, department, ndjson([trip(1)])).status_code == 403
    assert stored(server) == 0


def test_an_unknown_dataset_is_not_found(server) -> None:
    auth = token(server, ["ingest:trips"])
    answer = bulk(server, auth, ndjson([trip(1)]), dataset="parking")
    assert answer.status_code == 404
    assert answer.json()["status"] == 404


@pytest.mark.parametrize(
    "body",
    [b"{this is not json\n", b'["a", "list"]\n', b"", b"\n\n"],
    ids=["json", "array", "empty", "blank"],
)
def test_a_malformed_body_is_a_bad_request(server, body) -> None:
    auth = token(server, ["ingest:trips"])
    answer = bulk(server, auth, ndjson([trip(1)]) + body if body.strip() else body)
    assert answer.status_code == 400
    assert answer.headers["Content-Type"] == "application/problem+json"
    assert answer.json()["errors"]
    assert stored(server) == 0


def test_requests_the_api_cannot_take_are_refused_naming_what_is_wrong(server) -> None:
    auth = token(server, ["ingest:trips"])
    body = ndjson([trip(1)])
    missing_key = bulk(server, auth, body, key=None)
    assert missing_key.status_code == 400
    assert missing_key.json()["errors"][0]["field"] == "Idempotency-Key"
    wrong_type = bulk(server, auth, body, headers={"Content-Type": "application/xml"})
    assert wrong_type.status_code == 415
    bad_mode = bulk(server, auth, body, mode="sometimes")
    assert bad_mode.status_code == 422
    assert "mode" in bad_mode.text
    assert stored(server) == 0


def test_an_oversized_request_is_refused(server) -> None:
    auth = token(server, ["ingest:trips"])
    body = ndjson([trip(i) for i in range(14_000)])
    assert len(body) > 1 << 20
    declared = bulk(server, auth, body)
    assert declared.status_code == 413
    assert declared.headers["Content-Type"] == "application/problem+json"

    def chunks() -> Iterator[bytes]:  # no Content-Length: caught while streaming
        for start in range(0, len(body), 64 * 1024):
            yield body[start : start + 64 * 1024]

    streamed = bulk(server, auth, chunks(), key="key-2")
    assert streamed.status_code == 413
    assert stored(server) == 0


def test_one_record_at_a_time(server) -> None:
    auth = token(server, ["ingest:trips"])
    url = f"{server.url}{TRIPS}"
    created = requests.post(url, json=trip(1), headers=auth, timeout=10)
    assert created.status_code == 201
    assert created.json()["stored"] == 1
    again = requests.post(url, json=trip(1), headers=auth, timeout=10)
    assert again.json()["duplicates"] == 1
    invalid = requests.post(url, json=trip(2, month="March"), headers=auth, timeout=10)
    assert invalid.status_code == 422
    assert invalid.json()["errors"] == [{"field": "month", "message": "Not a month (YYYY-MM)."}]
    assert stored(server) == 1


def test_sources_see_their_own_ingestions_only(server) -> None:
    mine, theirs = token(server, ["ingest:trips"]), token(server, ["ingest:trips"])
    report = bulk(server, mine, ndjson([trip(1)])).json()
    url = f"{server.url}/api/v1/ingestions"
    assert requests.get(f"{url}/{report['id']}", headers=theirs, timeout=10).status_code == 404
    assert requests.get(url, headers=theirs, timeout=10).json() == []
    listed = requests.get(url, headers=mine, timeout=10).json()
    assert [i["id"] for i in listed] == [report["id"]]
