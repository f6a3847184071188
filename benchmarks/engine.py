"""The sharded release engine: the one-month query against OpenDP's Context API on Parquet.

All on the demo city, in the same run:

- **baseline**: OpenDP's Context API (``make_private_lazyframe`` under the
  hood) on the consenting citizens' trips as a plaintext Parquet file, read
  into memory, with user-level truncation to the catalog's trips per citizen;
- ``POST /api/v1/releases`` for count and mean trip duration by district for
  one month (epsilon 1) through the HTTP API, with the platform's default
  executor (a local pool sized to the cores): target at most 0.5x the baseline;
- **parallelism**: the engine on a local pool of 2 worker processes against 1
  (pools warmed first): target at least 1.6x faster;
- **growth (a)**: the same release after adding nine times the stored trips in
  other months (more history for the same citizens): target at most 1.3x;
- the coordinator's peak memory (VmHWM, reset before each release) with
  the records in the workers, before and after the growth: it should stay flat.

Growth (b), ten times the citizens, needs a second city: run this benchmark
with ``--citizens`` ten times larger and compare the API rows of the two runs.
"""

from __future__ import annotations

import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import opendp.prelude as dp
import polars as pl

from anonymise.query import QuerySchema
from anonymise.release import release
from benchmarks.instance import BenchInstance
from benchmarks.release import PURPOSE, _ensure_consents, _token
from benchmarks.report import Measurement, median_time
from civicdata.app import create_app
from civicdata.context import Platform
from civicdata.db import utcnow
from civicdata.models import RecordBlock
from civicdata.records import scan_dataset, write_blocks
from civicdata.records.buckets import query_buckets
from civicdata.records.queries import resolve_citizens
from civicdata.releases.executors import LocalPool, ShardedRecords
from civicdata.releases.policy_request import bounds_for
from consent.eligibility import eligible_subjects
from consent.planner import refresh_after_load

REPEAT = 3
MONTH = "2025-03"
QUERY: dict[str, Any] = {
    "dataset": "trips",
    "purpose": PURPOSE,
    "measures": [
        {"kind": "count", "name": "trips"},
        {"kind": "mean", "name": "minutes", "field": "duration_min"},
    ],
    "group_by": ["district"],
    "filters": [{"field": "month", "in": [MONTH]}],
    "epsilon": "1",
    "fresh": True,
}
BASELINE = "OpenDP Context API on Parquet"
ONE_WORKER = "engine, 1 local worker"
HISTORY_MONTHS = [f"2026-{m:02d}" for m in range(1, 10)]  # outside the demo's year


def _status_mib(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _coordinator_growth(run: Any) -> float:
    """How far one release raises this process's resident memory above where it was (MiB).

    The peak (Linux VmHWM) is reset to the current size first, so what the
    coordinator itself holds during the release is measured, not earlier steps.
    """
    Path("/proc/self/clear_refs").write_text("5")
    before = _status_mib("VmRSS")
    run()
    return _status_mib("VmHWM") - before


def _parquet(platform: Platform, folder: Path) -> tuple[Path, int]:
    spec = platform.catalog.datasets["trips"]
    with platform.engine.connect() as conn:
        frame = scan_dataset(conn, platform.vault, spec, eligible_subjects(PURPOSE, utcnow()))
    path = folder / "trips.parquet"
    frame.write_parquet(path)
    return path, frame.height


def _opendp_context(path: Path, districts: list[str], per_citizen: int) -> pl.DataFrame:
    """The same query with OpenDP's Context API on the plaintext file."""
    context = dp.Context.compositor(
        data=pl.read_parquet(path).lazy(),
        privacy_unit=dp.unit_of(
            contributions=[dp.polars.Bound(per_group=1)], identifier="citizen_id"
        ),
        privacy_loss=dp.loss_of(epsilon=1.0),
        split_evenly_over=1,
        margins=[
            dp.polars.Margin(by=[], max_length=10_000_000),
            dp.polars.Margin(by=["district"], invariant="keys", max_groups=len(districts)),
        ],
    )
    query = (
        context.query()
        .filter(pl.col("month") == MONTH)
        .truncate_per_group(per_citizen)
        .group_by("district")
        .agg(dp.len(signed=False), pl.col("duration_min").fill_null(0.0).dp.mean((0.0, 120.0)))
        .with_keys(pl.LazyFrame({"district": districts}))
    )
    released: pl.DataFrame = query.release().collect()
    return released


def _engine(platform: Platform, workers: int) -> tuple[LocalPool, Any]:
    """A release call on a warmed local pool of ``workers`` processes."""
    catalog = platform.catalog
    spec = catalog.datasets["trips"]
    query = QuerySchema(catalog=catalog).load({k: v for k, v in QUERY.items() if k != "fresh"})
    bounds = bounds_for(platform.policy_set.get("transport-trips"), spec)
    pool = LocalPool(platform.config, workers)

    def run() -> Any:
        with platform.engine.connect() as conn:
            ids = frozenset(resolve_citizens(conn, eligible_subjects(PURPOSE, utcnow())))
        records = ShardedRecords(pool, ids, query_buckets(spec, query.filters))
        return release(query, records, catalog, Decimal(1), bounds=bounds)

    run()  # start the workers
    return pool, run


def _grow_history(platform: Platform) -> int:
    """Nine more copies of every citizen's trips, each in another month; returns records added."""
    spec = platform.catalog.datasets["trips"]
    with platform.sessions() as session:
        frame = scan_dataset(session, platform.vault, spec)
        ciphers = platform.vault.ciphers(session, frame["citizen_id"].unique().to_list())
    added = 0
    for month in HISTORY_MONTHS:
        moved = frame.with_columns(pl.lit(month).alias("month"))
        records = {
            str(cid): part.drop("citizen_id").to_dicts()
            for (cid,), part in moved.partition_by("citizen_id", as_dict=True).items()
        }
        with platform.sessions() as session:
            blocks = write_blocks(session, ciphers, spec, records)
            refresh_after_load(session, {RecordBlock.__table__: len(blocks)})  # as uploads do
            session.commit()
        added += moved.height
    return added


def run(instance: BenchInstance) -> list[Measurement]:
    platform = instance.platform
    note = _ensure_consents(platform, instance.city.citizen_ids)
    districts = list(platform.catalog.datasets["trips"].fields["district"].domain)
    per_citizen = platform.catalog.datasets["trips"].max_records_per_citizen
    with tempfile.TemporaryDirectory(prefix="civic-bench-parquet-") as folder:
        path, records = _parquet(platform, Path(folder))
        _opendp_context(path, districts, per_citizen)  # warm
        baseline_s, _ = median_time(REPEAT, _opendp_context, path, districts, per_citizen)

    client = create_app(platform=platform).test_client()
    token = _token(platform, client)

    def through_api() -> None:
        response = client.post(
            "/api/v1/releases", json=QUERY, headers={"Authorization": f"Bearer {token}"}
        )
        if response.status_code != 201:
            raise RuntimeError(f"release failed: {response.status_code} {response.text}")

    through_api()  # warm the default pool
    api_s, _ = median_time(REPEAT, through_api)

    one, run_one = _engine(platform, 1)
    one_s, _ = median_time(REPEAT, run_one)
    one.close()
    two, run_two = _engine(platform, 2)
    two_s, _ = median_time(REPEAT, run_two)
    peak_before = _coordinator_growth(run_two)

    started = time.perf_counter()
    added = _grow_history(platform)
    grow_s = time.perf_counter() - started
    grown_s, _ = median_time(REPEAT, run_two)
    peak_after = _coordinator_growth(run_two)
    two.close()
    return [
        Measurement(BASELINE, records, baseline_s, note=f"{MONTH}, consenting citizens' trips"),
        Measurement(
            f"POST /api/v1/releases ({MONTH}, count, mean by district)",
            records,
            api_s,
            baselines=(BASELINE,),
            note=note,
        ),
        Measurement(ONE_WORKER, records, one_s),
        Measurement("engine, 2 local workers", records, two_s, baselines=(ONE_WORKER,)),
        Measurement(
            "engine, 2 workers, 10x stored trips",
            records + added,
            grown_s,
            baselines=("engine, 2 local workers",),
            note=f"{added:,} trips added in {grow_s:.0f} s; coordinator memory per release "
            f"+{peak_before:,.0f} MiB before, +{peak_after:,.0f} MiB after",
        ),
    ]
