"""Bulk ingestion: a million trip records for a hundred thousand citizens, end to end.

The citizens (with travel cards) are created first; the NDJSON file is
generated in a temporary file, in random citizen order as a day of validations
would arrive. :func:`civicdata.ingestion.ingest` then reads, validates,
deduplicates, resolves, seals and commits it in one transaction (the path
behind ``POST .../records/bulk`` and ``civic ingest``). The floor is the same
file parsed by the same reader and loaded as plain rows, with the same bulk
insert (``COPY`` on PostgreSQL), without validation or encryption; and, for
scale, the same plain rows inserted with SQLAlchemy Core ``executemany``. The
ingested citizens and records are removed afterwards so that later benchmarks
see the demo city as it was.

``CIVIC_BENCH_INGEST_RECORDS`` (default 1,000,000) scales the run; citizens
are a tenth of the records.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import numpy as np
from sqlalchemy import Column, Double, MetaData, String, Table, delete, func, insert, select

from benchmarks.instance import BenchInstance
from benchmarks.report import Measurement
from civicdata.context import Platform
from civicdata.demo.enrolment import NewCitizen, enrol_citizens
from civicdata.ingestion import NDJSON, Upload, ingest
from civicdata.ingestion.bulk_sql import insert_rows
from civicdata.ingestion.readers import CountingBody, ndjson_batches
from civicdata.models import Citizen, CitizenLookup, Ingestion, RecordBlock, SourceRecord

DATASET = "trips"
RECORDS = int(os.environ.get("CIVIC_BENCH_INGEST_RECORDS", "1000000"))
CARD_PREFIX = "BT-"
ENROL_BATCH = 10_000
FLOOR = "plain rows (parse + bulk insert)"
CORE = "plain rows (parse + Core executemany)"
COLUMNS = ("source_id", "travel_card", "mode", "district", "month", "duration_min")

_plain = Table(
    "bench_plain_trips",
    MetaData(),
    *(Column(name, String(64)) for name in COLUMNS[:-1]),
    Column("duration_min", Double),
)


def _card(i: int) -> str:
    return f"{CARD_PREFIX}{i:06d}"


def _create_citizens(platform: Platform, count: int) -> list[str]:
    ids: list[str] = []
    with platform.sessions() as session:
        for start in range(0, count, ENROL_BATCH):
            people = [
                NewCitizen(references={"travel_card": _card(i)})
                for i in range(start, min(count, start + ENROL_BATCH))
            ]
            ids.extend(enrol_citizens(session, platform.vault, platform.keys.blind_index, people))
        session.commit()
    return ids


def _write_file(platform: Platform, path: Path, records: int, citizens: int) -> None:
    spec = platform.catalog.datasets[DATASET]
    modes, districts = spec.fields["mode"].domain, spec.fields["district"].domain
    rng = np.random.default_rng(2026)
    owner = rng.integers(0, citizens, records)
    mode = rng.integers(0, len(modes), records)
    district = rng.integers(0, len(districts), records)
    month = rng.integers(1, 13, records)
    duration = np.round(rng.gamma(2.0, 9.0, records).clip(0, 120), 1)
    with path.open("w", encoding="utf-8") as out:
        for i in range(records):
            out.write(
                f'{{"source_id":"v-{i}","travel_card":"{_card(owner[i])}",'
                f'"mode":"{modes[mode[i]]}","district":"{districts[district[i]]}",'
                f'"month":"2025-{month[i]:02d}","duration_min":{duration[i]}}}\n'
            )


def _plain_load(platform: Platform, path: Path, core: bool = False) -> int:
    """Parse with the same reader; insert as the ingestion path does, or with Core."""
    loaded = 0
    with platform.engine.begin() as conn, path.open("rb") as stream:
        for batch in ndjson_batches(CountingBody(stream, 1 << 40)):
            if core:
                conn.execute(insert(_plain), batch.records)
            else:
                rows = [tuple(r[name] for name in COLUMNS) for r in batch.records]
                insert_rows(conn, _plain, COLUMNS, rows)
            loaded += len(batch.records)
    return loaded


def _ingest(platform: Platform, path: Path) -> dict[str, object]:
    import json

    spec = platform.catalog.datasets[DATASET]
    upload = Upload("bench-source", "client:bench-source", spec, NDJSON, "strict", "bench-1")
    with path.open("rb") as stream:
        response = ingest(platform, upload, stream)
    if response.status != 201:
        raise RuntimeError(f"ingestion failed: {response.body[:500]!r}")
    report: dict[str, object] = json.loads(response.body)
    return report


def _blocks(platform: Platform) -> int:
    with platform.sessions() as session:
        return session.scalar(select(func.count()).select_from(RecordBlock))


def _clean_up(platform: Platform, citizen_ids: list[str]) -> None:
    """Remove the benchmark's citizens, records and upload; the demo city stays."""
    with platform.sessions() as session:
        for start in range(0, len(citizen_ids), ENROL_BATCH):
            chunk = citizen_ids[start : start + ENROL_BATCH]
            for model in (RecordBlock, CitizenLookup):
                session.execute(delete(model).where(model.citizen_id.in_(chunk)))
            session.execute(delete(Citizen).where(Citizen.id.in_(chunk)))  # keys cascade
        session.execute(delete(SourceRecord))
        session.execute(delete(Ingestion).where(Ingestion.client_id == "bench-source"))
        session.commit()


def run(instance: BenchInstance) -> list[Measurement]:
    platform = instance.platform
    records, citizens = RECORDS, max(1, RECORDS // 10)
    started = time.perf_counter()
    citizen_ids = _create_citizens(platform, citizens)
    enrol_s = time.perf_counter() - started
    with tempfile.TemporaryDirectory(prefix="civic-bench-ingest-") as tmp:
        path = Path(tmp) / "trips.ndjson"
        _write_file(platform, path, records, citizens)
        size_mib = path.stat().st_size / (1 << 20)
        timings: dict[bool, float] = {}
        for core in (False, True):
            _plain.create(platform.engine)
            try:
                started = time.perf_counter()
                loaded = _plain_load(platform, path, core)
                timings[core] = time.perf_counter() - started
            finally:
                _plain.drop(platform.engine)
        blocks_before = _blocks(platform)
        started = time.perf_counter()
        report = _ingest(platform, path)
        ingest_s = time.perf_counter() - started
    blocks = _blocks(platform) - blocks_before
    if report["stored"] != records or loaded != records:
        raise RuntimeError(f"stored {report['stored']}, plain {loaded}, expected {records}")
    _clean_up(platform, citizen_ids)
    return [
        Measurement("create citizens (travel cards)", citizens, enrol_s, note="rows are citizens"),
        Measurement(FLOOR, records, timings[False], note=f"{size_mib:,.0f} MiB NDJSON"),
        Measurement(CORE, records, timings[True]),
        Measurement(
            "ingest (validate + seal + commit)",
            records,
            ingest_s,
            baselines=(FLOOR, CORE),
            note=f"{blocks:,} blocks",
        ),
    ]
