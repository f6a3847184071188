"""Record blocks cut by time bucket, and scans that read only the buckets asked for."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import select, update

from anonymise.query import Filter
from civicdata.context import Platform
from civicdata.models import RecordBlock
from civicdata.records import MisplacedBlockError, records_for_citizen, store
from civicdata.records.buckets import query_buckets
from policies.catalog import TimeBucket, month_index
from tests.platform.records.test_store import City


def trip(month: str, minutes: float) -> dict[str, Any]:
    return {"mode": "bus", "district": "Harbour", "month": month, "duration_min": minutes}


@pytest.fixture
def city(platform_: Platform) -> City:
    return City(platform_, 3)


@pytest.fixture
def decryptions(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """Every block the scan decrypts (the real cipher, counted)."""
    opened: list[bytes] = []
    real = store.open_with

    def counted(aead: Any, ciphertext: bytes, ad: bytes) -> bytes:
        opened.append(ad)
        return real(aead, ciphertext, ad)

    monkeypatch.setattr(store, "open_with", counted)
    return opened


def _blocks(platform: Platform) -> list[tuple[str, int | None, int]]:
    with platform.sessions() as session:
        rows = session.execute(
            select(RecordBlock.citizen_id, RecordBlock.bucket, RecordBlock.n_records)
        )
        return sorted((tuple(row) for row in rows), key=lambda row: (row[0], row[1] or 0))


def _one_month(month: str) -> tuple[Filter, ...]:
    return (Filter("month", between=(month, month)),)


def test_a_write_seals_one_block_per_citizen_and_month(city: City) -> None:
    a, b, _ = city.ids
    city.write(
        "trips",
        {a: [trip("2025-03", 1), trip("2025-01", 2), trip("2025-03", 3)], b: [trip("2025-02", 4)]},
    )
    assert _blocks(city.platform) == sorted(
        [
            (a, month_index("2025-01"), 1),
            (a, month_index("2025-03"), 2),
            (b, month_index("2025-02"), 1),
        ],
        key=lambda row: (row[0], row[1]),
    )
    with city.platform.sessions() as session:
        mine = records_for_citizen(session, city.platform.vault, city.platform.catalog, a)
    # bucket by bucket in time order, each in the order given
    assert [r["duration_min"] for r in mine["trips"]] == [2, 1, 3]


def test_a_one_month_scan_decrypts_only_that_months_blocks(
    city: City, decryptions: list[bytes]
) -> None:
    months = ["2025-01", "2025-02", "2025-03", "2025-04"]
    city.write("trips", {cid: [trip(m, i) for i, m in enumerate(months)] for cid in city.ids})
    spec = city.spec("trips")
    assert len(_blocks(city.platform)) == 12
    with city.platform.engine.connect() as conn:
        frame = store.scan_dataset(
            conn, city.platform.vault, spec, buckets=query_buckets(spec, _one_month("2025-03"))
        )
    assert len(decryptions) == 3  # one March block per citizen, nothing else
    assert frame["month"].to_list() == ["2025-03"] * 3
    decryptions.clear()
    assert city.scan("trips").height == 12  # no buckets: everything
    assert len(decryptions) == 12


def test_blocks_without_a_bucket_are_read_by_every_scan(
    city: City, decryptions: list[bytes]
) -> None:
    """Blocks from before the migration (NULL bucket) may hold any months."""
    a, b, _ = city.ids
    city.write("trips", {a: [trip("2025-01", 1)], b: [trip("2025-05", 2)]})
    with city.platform.sessions() as session:
        session.execute(update(RecordBlock).where(RecordBlock.citizen_id == a).values(bucket=None))
        session.commit()
    spec = city.spec("trips")
    with city.platform.engine.connect() as conn:
        frame = store.scan_dataset(
            conn, city.platform.vault, spec, buckets=query_buckets(spec, _one_month("2025-05"))
        )
    assert len(decryptions) == 2
    assert sorted(frame["month"].to_list()) == ["2025-01", "2025-05"]  # filtered later


def test_a_block_moved_to_another_bucket_is_refused(city: City) -> None:
    a = city.ids[0]
    city.write("trips", {a: [trip("2025-01", 1)]})
    with city.platform.sessions() as session:
        session.execute(update(RecordBlock).values(bucket=month_index("2025-06")))
        session.commit()
    spec = city.spec("trips")
    with (
        pytest.raises(MisplacedBlockError, match="outside their block's time bucket"),
        city.platform.engine.connect() as conn,
    ):
        store.scan_dataset(
            conn, city.platform.vault, spec, buckets=query_buckets(spec, _one_month("2025-06"))
        )


def test_a_dataset_without_a_bucket_keeps_one_block_per_citizen(city: City) -> None:
    a = city.ids[0]
    visits = city.spec("clinic_visits")
    assert visits.time_bucket is None
    rows = [{name: _any_value(field) for name, field in visits.fields.items()} for _ in range(3)]
    city.write("clinic_visits", {a: rows})
    assert _blocks(city.platform) == [(a, None, 3)]


def _any_value(field: Any) -> Any:
    if field.type == "category":
        return field.domain[0]
    if field.type == "time":
        return field.time_keys()[0]
    return field.low


def test_query_buckets_follow_the_filters_on_the_bucket_field(platform_: Platform) -> None:
    trips = platform_.catalog.datasets["trips"]
    assert query_buckets(trips, ()) is None
    assert query_buckets(trips, (Filter("mode", values=("bus",)),)) is None
    spring = (Filter("month", between=("2025-03", "2025-05")),)
    assert query_buckets(trips, spring) == [
        month_index(m) for m in ("2025-03", "2025-04", "2025-05")
    ]
    picked = (Filter("month", values=("2025-11", "2025-02")),)
    assert query_buckets(trips, picked) == [month_index("2025-02"), month_index("2025-11")]
    quarterly = replace(trips, time_bucket=TimeBucket("month", "quarter"))
    assert query_buckets(quarterly, spring) == [month_index("2025-01"), month_index("2025-04")]
    visits = platform_.catalog.datasets["clinic_visits"]
    assert query_buckets(visits, (Filter("month", between=("2025-03", "2025-03")),)) is None
