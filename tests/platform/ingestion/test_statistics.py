"""A large upload refreshes PostgreSQL's planner statistics of the tables it grew."""

from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import text

from civicdata.context import Platform
from civicdata.ingestion import NDJSON, Upload, ingest
from consent import planner

GROWN = ("record_blocks", "source_records", "citizens", "citizen_keys", "citizen_lookups")


def _upload(platform: Platform, first: int, count: int, **changes: object) -> int:
    lines = "".join(
        json.dumps(
            {
                "source_id": f"trip-{i}",
                "travel_card": f"TC-{i}",
                "mode": "bus",
                "district": "Harbour",
                "month": "2025-03",
                "duration_min": 12.0,
                **changes,
            }
        )
        + "\n"
        for i in range(first, first + count)
    )
    spec = platform.catalog.datasets["trips"]
    upload = Upload("src", "client:src", spec, NDJSON)
    return ingest(platform, upload, io.BytesIO(lines.encode())).status


def _believed(platform: Platform) -> dict[str, float]:
    with platform.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT relname, reltuples FROM pg_class WHERE relname = ANY(:names)"),
            {"names": list(GROWN)},
        )
        return dict(rows.all())


def test_uploads_refresh_statistics_only_when_large(
    platform_: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    if platform_.engine.dialect.name != "postgresql":
        pytest.skip("planner statistics are PostgreSQL's")
    monkeypatch.setattr(planner, "MIN_ROWS", 30)
    with platform_.engine.begin() as conn:
        conn.execute(text("ANALYZE " + ", ".join(GROWN)))
    assert _upload(platform_, 0, 20) == 201  # under MIN_ROWS: left to autovacuum
    assert set(_believed(platform_).values()) == {0}
    assert _upload(platform_, 100, 40, duration_min=999.0) == 422  # rejected: nothing stored
    assert set(_believed(platform_).values()) == {0}
    assert _upload(platform_, 200, 40) == 201  # 40 new citizens, blocks and source ids
    assert _believed(platform_) == dict.fromkeys(GROWN, 60)
