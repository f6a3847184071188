"""The ingestion service on both databases: storage, idempotency, rejections, audit."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from sqlalchemy import func, select

from civicdata.citizens import create_citizen, find_citizen
from civicdata.ingestion import (
    NDJSON,
    PARTIAL,
    IdempotencyConflict,
    Upload,
    UploadTooLarge,
    ingest,
)
from civicdata.ingestion.run import MAX_ERRORS
from civicdata.models import AuditEvent, Citizen, Ingestion, RecordBlock, SourceRecord
from civicdata.records import records_for_citizen, scan_dataset


def trip(i: int, card: str | None = None, **changes: Any) -> dict[str, Any]:
    return {
        "source_id": f"trip-{i}",
        "travel_card": card or f"TC-{i % 5}",
        "mode": ["bus", "tram", "metro"][i % 3],
        "district": "Harbour",
        "month": f"2025-{i % 12 + 1:02d}",
        "duration_min": float(i % 100),
        **changes,
    }


def ndjson(records: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in records).encode()


def upload(platform, dataset="trips", key=None, mode="strict", client="src-1") -> Upload:
    spec = platform.catalog.datasets[dataset]
    return Upload(client, f"client:{client}", spec, NDJSON, mode, key)


def run(platform, data: bytes, **kwargs: Any) -> tuple[int, dict[str, Any]]:
    response = ingest(platform, upload(platform, **kwargs), io.BytesIO(data))
    return response.status, json.loads(response.body)


def count(platform, model) -> int:
    with platform.sessions() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_a_valid_upload_is_stored_encrypted_once_per_citizen_and_month(platform_) -> None:
    records = [trip(i) for i in range(40)]
    status, report = run(platform_, ndjson(records), key="k-1")
    assert status == 201
    assert (report["status"], report["stored"], report["received"]) == ("completed", 40, 40)
    # one block per citizen and month (the trips' time bucket) for the upload
    assert count(platform_, RecordBlock) == len({(r["travel_card"], r["month"]) for r in records})
    assert count(platform_, SourceRecord) == 40
    with platform_.sessions() as session:
        frame = scan_dataset(session, platform_.vault, platform_.catalog.datasets["trips"])
        owner = find_citizen(session, platform_.keys.blind_index, "travel_card", "TC-3")
        mine = records_for_citizen(session, platform_.vault, platform_.catalog, owner)["trips"]
    assert frame.height == 40
    assert sorted(frame["duration_min"].to_list()) == sorted(r["duration_min"] for r in records)
    expected = [
        {k: r[k] for k in ("mode", "district", "month", "duration_min")}
        for r in records
        if r["travel_card"] == "TC-3"
    ]
    expected.sort(key=lambda r: r["month"])  # stable: upload order within a month
    assert mine == expected  # the citizen's rows, month by month in upload order


def test_unknown_travel_cards_become_unregistered_subjects(platform_) -> None:
    run(platform_, ndjson([trip(1, card="TC-new"), trip(2, card="TC-new")]))
    with platform_.sessions() as session:
        citizen_id = find_citizen(session, platform_.keys.blind_index, "travel_card", "TC-new")
        assert citizen_id is not None
        citizen = session.get(Citizen, citizen_id)
        assert citizen.registered is False
        assert platform_.vault.cipher(session, citizen_id)  # has a data key of its own
    assert count(platform_, Citizen) == 1


def test_a_dataset_without_unregistered_subjects_needs_a_known_citizen(platform_) -> None:
    with platform_.sessions() as session:
        create_citizen(
            session,
            platform_.vault,
            platform_.keys.blind_index,
            references={"library_card": "LC-1"},
        )
        session.commit()
    loan = {"district": "Harbour", "month": "2025-01", "category": "music", "loan_days": 3}
    records = [
        {"source_id": "l1", "library_card": "LC-1", **loan},
        {"source_id": "l2", "library_card": "LC-404", **loan},
    ]
    status, report = run(platform_, ndjson(records), dataset="library_loans", mode=PARTIAL)
    assert status == 201
    assert (report["stored"], report["rejected"]) == (1, 1)
    assert report["errors"] == [
        {"line": 2, "field": "library_card", "message": "No citizen has this library_card."}
    ]
    assert count(platform_, Citizen) == 1  # nobody was created


def test_one_bad_line_stores_nothing_and_names_line_and_field(platform_) -> None:
    records = [trip(i, card=f"TC-fresh-{i}") for i in range(12)]
    records[7]["duration_min"] = 500
    status, report = run(platform_, ndjson(records), key="bad")
    assert status == 422
    assert report["ingestion"]["status"] == "rejected"
    assert report["ingestion"]["stored"] == 0
    assert [(e["line"], e["field"]) for e in report["errors"]] == [(8, "duration_min")]
    for model in (RecordBlock, SourceRecord, Citizen):  # not even the new subjects
        assert count(platform_, model) == 0
    with platform_.sessions() as session:
        row = session.scalars(select(Ingestion)).one()
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "records.ingest")
        ).one()
    assert (row.status, row.response_status) == ("rejected", 422)
    assert event.decision == "rejected"
    assert event.details["rejected"] == 1


def test_strict_mode_lists_the_first_errors_and_counts_every_line(platform_) -> None:
    records = [trip(i, mode="car") for i in range(MAX_ERRORS + 50)]
    status, report = run(platform_, ndjson(records))
    assert status == 422
    assert len(report["errors"]) == MAX_ERRORS
    assert report["errors_truncated"] is True
    assert report["ingestion"]["received"] == MAX_ERRORS + 50


def test_partial_mode_stores_valid_lines_and_reports_every_rejected_one(platform_) -> None:
    records = [trip(i) for i in range(10)]
    records[2]["mode"] = "car"
    records[5]["month"] = "2025-13"
    data = ndjson(records) + b"{broken\n"
    status, report = run(platform_, data, mode=PARTIAL)
    assert status == 201
    assert report["status"] == "partial"
    assert (report["stored"], report["rejected"], report["received"]) == (8, 3, 11)
    assert [(e["line"], e.get("field")) for e in report["errors"]] == [
        (3, "mode"),
        (6, "month"),
        (11, None),
    ]
    assert count(platform_, SourceRecord) == 8


def test_source_ids_make_records_stored_once_across_uploads(platform_) -> None:
    first = [trip(i) for i in range(10)]
    run(platform_, ndjson(first), key="a")
    again = [*first[5:], *(trip(i) for i in range(10, 15)), trip(12)]  # 12 twice in one upload
    status, report = run(platform_, ndjson(again), key="b")
    assert status == 201
    assert (report["stored"], report["duplicates"]) == (5, 6)
    with platform_.sessions() as session:
        frame = scan_dataset(session, platform_.vault, platform_.catalog.datasets["trips"])
    assert frame.height == 15
    # Another source's ids are its own: the same ids are new records for it.
    _, other = run(platform_, ndjson(first), client="src-2")
    assert other["stored"] == 10


def test_a_retry_with_the_same_key_gets_the_first_response_byte_for_byte(platform_) -> None:
    data = ndjson([trip(i) for i in range(20)])
    spec = upload(platform_, key="same")
    first = ingest(platform_, spec, io.BytesIO(data))
    second = ingest(platform_, spec, io.BytesIO(data))
    assert second == first
    assert count(platform_, SourceRecord) == 20
    assert count(platform_, Ingestion) == 1
    with pytest.raises(IdempotencyConflict):
        ingest(platform_, spec, io.BytesIO(data + ndjson([trip(99)])))
    other_mode = upload(platform_, key="same", mode=PARTIAL)
    with pytest.raises(IdempotencyConflict):  # same body, other options: another request
        ingest(platform_, other_mode, io.BytesIO(data))


def test_the_audit_entry_counts_without_any_reference_or_source_id(platform_) -> None:
    records = [trip(i, card=f"TC-secret-{i}") for i in range(3)]
    run(platform_, ndjson(records), key="audited")
    with platform_.sessions() as session:
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "records.ingest")
        ).one()
    assert event.actor == "client:src-1"
    assert event.dataset == "trips"
    assert event.details["stored"] == 3
    assert event.details["idempotency_key"] == "audited"
    assert "TC-secret" not in event.entry
    assert "trip-" not in event.entry


def test_an_oversized_body_is_refused_and_leaves_nothing(platform_) -> None:
    import dataclasses

    small = dataclasses.replace(
        platform_, config=dataclasses.replace(platform_.config, max_upload_mb=1)
    )
    data = ndjson([trip(i, card=f"TC-{i}") for i in range(12_000)])
    assert len(data) > 1 << 20
    with pytest.raises(UploadTooLarge):
        ingest(small, upload(small, key="big"), io.BytesIO(data))
    for model in (RecordBlock, SourceRecord, Citizen, Ingestion):
        assert count(platform_, model) == 0
