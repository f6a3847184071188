"""Packing records into fixed-width blocks and back, for every catalog dataset."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import polars as pl
import pytest

from civicdata.records import CodecError, LayoutMismatchError, RecordCodec
from policies.catalog import CityCap, DatasetSpec, FieldSpec, load_catalog

CATALOG = load_catalog()


def _boundary_rows(spec: DatasetSpec) -> list[dict[str, Any]]:
    """Three records: every field at its lowest, its highest and a middle value."""
    rows: list[dict[str, Any]] = [{}, {}, {}]
    for field in spec.fields.values():
        if field.type == "category":
            values = [field.domain[0], field.domain[-1], field.domain[len(field.domain) // 2]]
        elif field.type == "time":
            keys = field.time_keys()
            values = [keys[0], keys[-1], keys[len(keys) // 2]]
        elif field.type == "integer":
            low, high = int(field.low or 0), int(field.high or 0)
            values = [low, high, (low + high) // 2]
        else:
            low, high = float(field.low or 0), float(field.high or 0)
            values = [low, high, (low + high) / 3]
        for row, value in zip(rows, values, strict=True):
            row[field.name] = value
    return rows


def _wide_spec() -> DatasetSpec:
    """A dataset exercising int64 integers, negative numbers and day granularity."""
    fields = {
        "big": FieldSpec("big", "integer", False, low=-(2.0**40), high=2.0**40),
        "small": FieldSpec("small", "integer", True, low=-5, high=5),
        "delta": FieldSpec("delta", "number", False, low=-1e9, high=1e9),
        "day": FieldSpec(
            "day", "time", True, granularity="day", time_min="1969-12-31", time_max="2099-12-31"
        ),
        "kind": FieldSpec("kind", "category", True, domain=("only",)),
    }
    return DatasetSpec("wide", "Wide", "", "ref", False, False, 5, CityCap(1.0, "P30D"), fields)


@pytest.mark.parametrize("dataset", sorted(CATALOG.datasets))
def test_round_trip_at_the_bounds_for_every_dataset(dataset: str) -> None:
    spec = CATALOG.datasets[dataset]
    codec = RecordCodec(spec)
    rows = _boundary_rows(spec)
    plaintext = codec.encode(rows)
    assert len(plaintext) == 16 + 3 * codec.dtype.itemsize
    assert codec.to_dicts(codec.decode(plaintext)) == rows
    frame = pl.DataFrame([*codec.columns(codec.decode(plaintext))])
    assert frame.to_dicts() == rows


def test_wide_types_round_trip() -> None:
    codec = RecordCodec(_wide_spec())
    assert codec.dtype["big"] == np.dtype("<i8") and codec.dtype["small"] == np.dtype("<i4")
    rows = [
        {"big": -(2**40), "small": -5, "delta": -1e9, "day": "1969-12-31", "kind": "only"},
        {"big": 2**40, "small": 5, "delta": 1e9, "day": "2099-12-31", "kind": "only"},
        {"big": 0, "small": 0, "delta": 0.5, "day": "1970-01-01", "kind": "only"},
    ]
    decoded = codec.decode(codec.encode(rows))
    assert decoded["day"].tolist() == [-1, 47481, 0]
    assert codec.to_dicts(decoded) == rows


def test_numpy_input_is_taken_in_storage_representation() -> None:
    codec = RecordCodec(CATALOG.datasets["trips"])
    array = np.zeros(
        2, dtype=[("mode", "i8"), ("district", "i8"), ("month", "i8"), ("duration_min", "f4")]
    )
    array["mode"] = [1, 4]
    array["month"] = [24300, 24311]
    array["duration_min"] = [1.5, 120.0]
    decoded = codec.to_dicts(codec.decode(codec.encode(array)))
    assert [(d["mode"], d["district"], d["month"]) for d in decoded] == [
        ("metro", "Northbank", "2025-01"),
        ("ferry", "Northbank", "2025-12"),
    ]
    assert [d["duration_min"] for d in decoded] == [1.5, 120.0]


def test_empty_block_round_trips() -> None:
    codec = RecordCodec(CATALOG.datasets["water"])
    decoded = codec.decode(codec.encode([]))
    assert len(decoded) == 0 and codec.to_dicts(decoded) == []
    assert [s.dtype for s in codec.columns(decoded)] == [pl.String, pl.String, pl.Float64]


def test_layout_depends_on_fields_but_not_on_domain_values() -> None:
    spec = CATALOG.datasets["trips"]
    mode = spec.fields["mode"]
    grown = replace(
        spec, fields={**spec.fields, "mode": replace(mode, domain=(*mode.domain, "cable-car"))}
    )
    retyped = replace(
        spec, fields={**spec.fields, "mode": replace(mode, type="integer", low=0, high=9)}
    )
    extra = replace(
        spec, fields={**spec.fields, "stops": FieldSpec("stops", "integer", False, low=0, high=9)}
    )
    layouts = {RecordCodec(s).layout for s in (retyped, extra)}
    assert RecordCodec(grown).layout == RecordCodec(spec).layout
    assert RecordCodec(spec).layout not in layouts and len(layouts) == 2


def test_appended_domain_value_keeps_old_blocks_readable() -> None:
    spec = CATALOG.datasets["trips"]
    rows = _boundary_rows(spec)
    old = RecordCodec(spec).encode(rows)
    mode = spec.fields["mode"]
    grown = replace(
        spec, fields={**spec.fields, "mode": replace(mode, domain=(*mode.domain, "cable-car"))}
    )
    assert RecordCodec(grown).to_dicts(RecordCodec(grown).decode(old)) == rows


def test_decoding_under_another_layout_is_a_clear_error() -> None:
    spec = CATALOG.datasets["trips"]
    old = RecordCodec(spec).encode(_boundary_rows(spec))
    extra = FieldSpec("stops", "integer", False, low=0, high=9)
    changed = RecordCodec(replace(spec, fields={**spec.fields, "stops": extra}))
    with pytest.raises(LayoutMismatchError, match=r"block b-1 of dataset 'trips'.*re-encoded"):
        changed.decode(old, "b-1")
    with pytest.raises(LayoutMismatchError):
        changed.check_layout("b-1", RecordCodec(spec).layout)


def test_truncated_plaintext_is_an_error() -> None:
    codec = RecordCodec(CATALOG.datasets["trips"])
    plaintext = codec.encode(_boundary_rows(CATALOG.datasets["trips"]))
    with pytest.raises(CodecError, match="whole number of records"):
        codec.decode(plaintext[:-3])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"mode": "hovercraft"}, r"trips.mode: 'hovercraft' \(record 0\) is not in the domain"),
        ({"month": "2025-13"}, "trips.month: '2025-13' is not a month"),
        ({"month": 202503}, "trips.month: 202503 is not a month"),
        ({"duration_min": float("nan")}, "trips.duration_min: values must be finite numbers"),
        ({"duration_min": "12"}, "trips.duration_min: values must be finite numbers"),
    ],
)
def test_invalid_values_name_the_field(change: dict[str, Any], message: str) -> None:
    row = {"mode": "bus", "district": "Harbour", "month": "2025-03", "duration_min": 12.0}
    with pytest.raises(CodecError, match=message):
        RecordCodec(CATALOG.datasets["trips"]).encode([{**row, **change}])


def test_integers_must_be_integers_and_fit() -> None:
    codec = RecordCodec(CATALOG.datasets["library_loans"])
    row = {"category": "music", "district": "Harbour", "month": "2025-03", "loan_days": 14}
    with pytest.raises(CodecError, match="loan_days: values must be integers"):
        codec.encode([{**row, "loan_days": 14.5}])
    with pytest.raises(CodecError, match="loan_days: value out of the storable range"):
        codec.encode([{**row, "loan_days": 2**40}])


def test_missing_field_is_named() -> None:
    with pytest.raises(CodecError, match="record 1 lacks field 'kwh'"):
        RecordCodec(CATALOG.datasets["electricity"]).encode(
            [
                {"district": "Harbour", "month": "2025-01", "kwh": 1.0},
                {"district": "Harbour", "month": "2025-01"},
            ]
        )


def test_array_with_other_fields_or_out_of_domain_index_is_refused() -> None:
    codec = RecordCodec(CATALOG.datasets["clinic_visits"])
    with pytest.raises(CodecError, match="array fields"):
        codec.encode(np.zeros(1, dtype=[("visit_type", "u2"), ("district", "u2")]))
    array = np.zeros(1, dtype=codec.dtype)
    array["visit_type"] = 5  # the domain has five values: 0..4
    with pytest.raises(CodecError, match="category index out of the domain"):
        codec.encode(array)
