"""Small record frames in the shape ``platform/records`` produces, for engine tests."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import polars as pl

TRIP_SCHEMA = {
    "citizen_id": pl.String,
    "mode": pl.String,
    "district": pl.String,
    "month": pl.String,
    "duration_min": pl.Float64,
}


def trips(rows: Iterable[dict[str, Any]]) -> pl.DataFrame:
    """A trips frame; missing fields default to a bus trip in Harbour, 2025-01, 10 min."""
    base = {"mode": "bus", "district": "Harbour", "month": "2025-01", "duration_min": 10.0}
    return pl.DataFrame([{**base, **row} for row in rows], schema=TRIP_SCHEMA)


def citizens(
    count: int, records_each: int = 1, prefix: str = "c", **fields: Any
) -> list[dict[str, Any]]:
    """``count`` citizens with ``records_each`` identical records each."""
    return [
        {"citizen_id": f"{prefix}{i}", **fields} for i in range(count) for _ in range(records_each)
    ]
