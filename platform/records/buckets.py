"""Time buckets of record blocks: the bucket of each record, the buckets a query reads.

A dataset whose catalog entry declares a ``time_bucket`` (a time field and a
size: month, quarter or year) has its records sealed in one block per citizen
and bucket, and the bucket stored in clear beside the block, so a release
reads and decrypts only the blocks of the buckets its filters on that field
touch. Buckets are named by their first month (months since year 0, as
:func:`policies.catalog.month_index`). Blocks with no bucket (written before
buckets existed, or of a dataset without one) are read by every scan.

For example, a trips query filtered on ``month`` between 2025-03 and 2025-03
reads the bucket ``24302`` only.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from anonymise.query import Filter, allowed_keys
from policies.catalog import DatasetSpec, month_index

_EPOCH_MONTH = month_index("1970-01")  # day numbers in storage count from 1970-01-01


def record_buckets(spec: DatasetSpec, rows: np.ndarray) -> np.ndarray | None:
    """The bucket of every record of ``rows`` (storage layout); ``None`` without buckets."""
    bucket = spec.time_bucket
    if bucket is None:
        return None
    values = rows[bucket.field].astype(np.int64)
    if spec.fields[bucket.field].granularity == "day":
        months = values.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
        values = months + _EPOCH_MONTH
    keys: np.ndarray = bucket.key(values)  # type: ignore[arg-type,assignment]  # element-wise
    return keys


def split_by_bucket(spec: DatasetSpec, rows: np.ndarray) -> Iterator[tuple[int | None, np.ndarray]]:
    """``rows`` cut by bucket, each part in its original order; one ``None`` part without buckets."""
    keys = record_buckets(spec, rows)
    if keys is None:
        yield None, rows
        return
    if len(keys) and (keys == keys[0]).all():
        yield int(keys[0]), rows
        return
    order = np.argsort(keys, kind="stable")
    keys, rows = keys[order], rows[order]
    starts = np.flatnonzero(np.diff(keys)) + 1
    for start, part in zip(np.concatenate(([0], starts)), np.split(rows, starts), strict=True):
        yield int(keys[start]), part


def query_buckets(spec: DatasetSpec, filters: tuple[Filter, ...]) -> list[int] | None:
    """The buckets a query with ``filters`` needs; ``None``: all (no filter on the bucket field)."""
    bucket = spec.time_bucket
    if bucket is None or not any(f.field == bucket.field for f in filters):
        return None
    labels = allowed_keys(spec.fields[bucket.field], filters)
    return sorted({bucket.key(month_index(str(label)[:7])) for label in labels})
