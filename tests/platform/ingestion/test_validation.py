"""The record schema and the columnar checks of the bulk path agree, row by row."""

from __future__ import annotations

import math

import numpy as np
import pytest

from civicdata.ingestion.columns import BatchValidator
from civicdata.ingestion.schema import SchemaConflictError, record_schema
from civicdata.records import RecordCodec
from policies.catalog import DEMO_CATALOG, load_catalog

CATALOG = load_catalog(DEMO_CATALOG)
TRIPS = CATALOG.datasets["trips"]
LOANS = CATALOG.datasets["library_loans"]


def trip(**changes: object) -> dict[str, object]:
    record: dict[str, object] = {
        "source_id": "t-1",
        "travel_card": "TC-000000017",
        "mode": "tram",
        "district": "Harbour",
        "month": "2025-03",
        "duration_min": 12.5,
    }
    record.update(changes)
    return {k: v for k, v in record.items() if v is not MISSING}


def loan(**changes: object) -> dict[str, object]:
    record: dict[str, object] = {
        "source_id": "l-1",
        "library_card": "LC-1",
        "category": "fiction",
        "district": "Harbour",
        "month": "2026-12",
        "loan_days": 14,
    }
    record.update(changes)
    return record


MISSING = object()

# (record, field named in the error)
INVALID_TRIPS = [
    (trip(mode="car"), "mode"),
    (trip(mode=None), "mode"),
    (trip(mode=["bus"]), "mode"),
    (trip(district="harbour"), "district"),
    (trip(month="2025-3"), "month"),
    (trip(month="2025-13"), "month"),
    (trip(month="2024-12"), "month"),  # before the catalog's time bounds
    (trip(month="2027-01"), "month"),
    (trip(month="2025-03\n"), "month"),
    (trip(month="2025-03-01"), "month"),  # day given where the granularity is month
    (trip(duration_min=-0.5), "duration_min"),
    (trip(duration_min=120.01), "duration_min"),
    (trip(duration_min="12.5"), "duration_min"),  # JSON records need JSON numbers
    (trip(duration_min=True), "duration_min"),
    (trip(duration_min=math.nan), "duration_min"),
    (trip(duration_min=math.inf), "duration_min"),
    (trip(duration_min=10**400), "duration_min"),
    (trip(duration_min=MISSING), "duration_min"),
    (trip(source_id=""), "source_id"),
    (trip(source_id="   "), "source_id"),
    (trip(source_id=17), "source_id"),
    (trip(source_id="x" * 201), "source_id"),
    (trip(travel_card=MISSING), "travel_card"),
    (trip(colour="red"), "colour"),  # unknown field
]
INVALID_LOANS = [
    (loan(loan_days=0), "loan_days"),
    (loan(loan_days=61), "loan_days"),
    (loan(loan_days=14.0), "loan_days"),
    (loan(loan_days=False), "loan_days"),
    (loan(loan_days="14"), "loan_days"),
]


@pytest.mark.parametrize(
    ("spec", "make", "record", "field"),
    [(TRIPS, trip, *case) for case in INVALID_TRIPS]
    + [(LOANS, loan, *case) for case in INVALID_LOANS],
)
def test_every_invalid_record_is_refused_naming_its_field(spec, make, record, field) -> None:
    checked = BatchValidator(spec).check([make(), record, make(source_id="t-2")])
    assert list(checked.errors) == [1]
    assert field in [name for name, _ in checked.errors[1]]
    assert checked.valid_positions().tolist() == [0, 2]


def test_accepted_rows_equal_what_the_schema_loads() -> None:
    """The columns fill the storage layout exactly as the schema's values would pack."""
    records = [
        trip(),
        trip(mode="ferry", district="Millbrook", month="2026-12", duration_min=0),
        trip(duration_min=120),
        trip(travel_card=" TC-2 ", source_id="s 3"),
    ]
    checked = BatchValidator(TRIPS).check(records)
    assert checked.errors == {}
    schema = record_schema(TRIPS)
    expected = RecordCodec(TRIPS).pack(
        [{k: v for k, v in schema.load(r).items() if k in TRIPS.fields} for r in records]
    )
    assert checked.rows.tobytes() == expected.tobytes()
    assert checked.references == [r["travel_card"] for r in records]
    assert checked.source_ids == [r["source_id"] for r in records]


def test_rows_decided_by_the_schema_are_stored_like_column_rows() -> None:
    """The schema's path (for doubted rows) packs a record exactly as the columns do."""
    validator = BatchValidator(LOANS)
    record = loan(category="music", month="2025-01", loan_days=60)
    columns = validator.check([record]).rows
    rows = np.zeros(1, dtype=columns.dtype)
    validator.store_row(rows, 0, record_schema(LOANS).load(record))
    assert rows.tobytes() == columns.tobytes()


def test_csv_cells_are_parsed_from_text() -> None:
    validator = BatchValidator(TRIPS, textual=True)
    text = {k: str(v) for k, v in trip().items()}
    checked = validator.check(
        [text, {**text, "duration_min": "abc"}, {**text, "duration_min": "nan"}]
    )
    assert sorted(checked.errors) == [1, 2]
    assert checked.rows["duration_min"][0] == pytest.approx(12.5)
    loans = BatchValidator(LOANS, textual=True).check(
        [
            {k: str(v) for k, v in loan().items()},
            {k: str(v) for k, v in loan(loan_days="1.5").items()},
        ]
    )
    assert list(loans.errors) == [1]
    assert loans.rows["loan_days"][0] == 14


def test_the_schema_is_the_authority_for_the_fast_path_on_random_rows() -> None:
    """Random mixes of good and bad values: columns and schema decide alike."""
    rng = np.random.default_rng(7)
    schema = record_schema(TRIPS)
    choices = {
        "mode": ["bus", "tram", "car", 3, None],
        "district": ["Harbour", "Old Town", "old town", ""],
        "month": ["2025-01", "2026-12", "2027-01", "2025-1", 202501],
        "duration_min": [0, 0.5, 120, 121, -1, "5", True, math.nan],
        "source_id": ["a", "", " ", 5],
        "travel_card": ["TC-1", "", None],
    }
    records = [
        {name: values[rng.integers(len(values))] for name, values in choices.items()}
        for _ in range(400)
    ]
    checked = BatchValidator(TRIPS).check(records)
    for position, record in enumerate(records):
        errors = schema.validate(record)
        assert (position in checked.errors) == bool(errors), record


def test_reserved_names_cannot_be_catalog_fields() -> None:
    import dataclasses

    clashing = dataclasses.replace(
        TRIPS, fields={**TRIPS.fields, "source_id": TRIPS.fields["mode"]}
    )
    with pytest.raises(SchemaConflictError, match="reserved"):
        record_schema(clashing)
