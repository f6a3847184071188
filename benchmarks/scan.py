"""The release hot path: scanning one dataset's encrypted blocks into a Polars frame.

Compared, on the same rows in the same run, with two floors: streaming the
same rows without decrypting them, and building the same frame from plaintext
already in memory. Unwrapping keys and decrypting blocks (rows already in
memory) is timed on its own, for the crypto budget of the releases issue.
Each step runs ``REPEAT`` times; the median is reported.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Select

from benchmarks.instance import BenchInstance
from benchmarks.report import Measurement, median_time
from civicdata.context import Platform
from civicdata.records import RecordCodec, scan_dataset
from civicdata.records.queries import dataset_query
from civicdata.records.store import FIELD, SCAN_BATCH
from civicdata.vault import associated_data
from civicdata.vault.envelope import open_with
from policies.catalog import DatasetSpec

DATASET = "trips"
REPEAT = 3
READ = "read rows (no decryption)"
FLOORS = "read rows + frame from plaintext"


def _read(platform: Platform, query: Select[Any]) -> list[Any]:
    with platform.engine.connect() as conn:
        return [row for part in conn.execute(query).partitions() for row in part]


def _unwrap(platform: Platform, blocks: list[Any]) -> dict[str, AESGCM]:
    aeads = {}
    for _, citizen_id, _, _, _, key_id, wrapped in blocks:
        if citizen_id not in aeads:
            aeads[citizen_id] = platform.vault.unwrap(citizen_id, key_id, wrapped).aead()
    return aeads


def _decrypt(blocks: list[Any], aeads: dict[str, AESGCM]) -> list[bytes]:
    return [
        open_with(aeads[cid], ct, associated_data(cid, DATASET, FIELD, block_id))
        for block_id, cid, _, _, ct, _, _ in blocks
    ]


def _frame_from_plaintext(
    codec: RecordCodec, blocks: list[Any], bodies: list[memoryview], citizens: list[str]
) -> pl.DataFrame:
    position = {cid: i for i, cid in enumerate(citizens)}
    array = codec.from_bodies(bodies)
    counts = [len(body) // codec.dtype.itemsize for body in bodies]
    owners = np.repeat(np.array([position[row[1]] for row in blocks]), counts)
    ids = pl.Series("citizen_id", citizens, dtype=pl.String).gather(owners)
    return pl.DataFrame([ids, *codec.columns(array)])


def _scan(platform: Platform, spec: DatasetSpec) -> pl.DataFrame:
    with platform.engine.connect() as conn:
        return scan_dataset(conn, platform.vault, spec)


def run(instance: BenchInstance) -> list[Measurement]:
    platform = instance.platform
    spec = platform.catalog.datasets[DATASET]
    codec = RecordCodec(spec)
    query, _ = dataset_query(DATASET)
    query = query.execution_options(stream_results=True, yield_per=SCAN_BATCH)

    read_s, blocks = median_time(REPEAT, _read, platform, query)
    unwrap_s, aeads = median_time(REPEAT, _unwrap, platform, blocks)
    decrypt_s, plaintexts = median_time(REPEAT, _decrypt, blocks, aeads)
    bodies = [codec.body(row[0], text) for row, text in zip(blocks, plaintexts, strict=True)]
    citizens = list(aeads)
    frame_s, plain = median_time(REPEAT, _frame_from_plaintext, codec, blocks, bodies, citizens)
    n_blocks, records = len(blocks), plain.height
    del blocks, plaintexts, bodies, plain, aeads
    scan_s, frame = median_time(REPEAT, _scan, platform, spec)
    if frame.height != records:
        raise RuntimeError(f"scan returned {frame.height} records, the baselines {records}")

    return [
        Measurement(READ, records, read_s, note=f"{n_blocks} blocks"),
        Measurement("frame from plaintext", records, frame_s),
        Measurement(FLOORS, records, read_s + frame_s),
        Measurement("unwrap data keys", len(citizens), unwrap_s, note="rows are citizens"),
        Measurement("decrypt blocks", records, decrypt_s),
        Measurement("unwrap + decrypt", records, unwrap_s + decrypt_s),
        Measurement(f"scan_dataset({DATASET})", records, scan_s, baselines=(READ, FLOORS)),
    ]
