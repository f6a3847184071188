"""Per-citizen contribution bounding, in plain Polars, before any aggregate.

Everything here is a per-record or per-citizen map, so it runs on any shard
holding all of a citizen's records and gives the same rows whichever other
citizens share the shard: removing one citizen removes exactly that citizen's
rows and changes nothing else.

- keep the identifier and the fields the query uses, in the types the catalog
  declares (strings for categories and months, floats, 64-bit integers);
- apply the query's filters on public fields (before truncation, so bounding
  keeps relevant records);
- add the columns each measure kind derives per record (a histogram's bin label);
- keep at most k groups per citizen, r records per citizen and group, and M
  records per citizen. Which ones is decided by a **keyed-random order**: a
  hash of (citizen, group key) for groups and of the whole record for records,
  seeded afresh for every release (``salt``). It depends on content only, never
  on storage or key order (unlike ``keep="first"``), and identical records are
  interchangeable, so the bounded rows are the same for any partition of the
  citizens into shards.

>>> frame = pl.DataFrame({"citizen_id": ["a", "a"], "mode": ["bus", "tram"]})
>>> filtered(frame, (Filter("mode", ("bus",)),))["mode"].to_list()
['bus']
"""

from __future__ import annotations

import polars as pl

from anonymise.measures.registry import kind_of
from anonymise.query_values import Filter, Query
from anonymise.sensitivity import ContributionBounds
from policies.catalog import DatasetSpec

CITIZEN = "citizen_id"
RECORD_SEED = 0x5F3759DF  # mixed into the salt, so record and group orders differ
_DTYPES = {"category": pl.String, "time": pl.String, "number": pl.Float64, "integer": pl.Int64}


def used_fields(query: Query) -> list[str]:
    """Fields the query reads after filtering, in a stable order."""
    names = list(query.group_by) + [m.field for m in query.measures if m.field]
    return list(dict.fromkeys(names))


def selected(frame: pl.DataFrame, query: Query, dataset: DatasetSpec) -> pl.DataFrame:
    """The identifier, filter fields and used fields, cast to the catalog's types."""
    names = list(dict.fromkeys([f.field for f in query.filters] + used_fields(query)))
    missing = [n for n in [CITIZEN, *names] if n not in frame.columns]
    if missing:
        raise ValueError(f"the frame lacks column(s) {', '.join(missing)}")
    return frame.select(
        pl.col(CITIZEN).cast(pl.String),
        *(pl.col(n).cast(_DTYPES[dataset.fields[n].type]) for n in names),
    )


def filtered(frame: pl.DataFrame, filters: tuple[Filter, ...]) -> pl.DataFrame:
    """Keep the records every filter accepts."""
    for flt in filters:
        column = pl.col(flt.field)
        if flt.between is not None:
            frame = frame.filter((column >= flt.between[0]) & (column <= flt.between[1]))
        else:
            frame = frame.filter(column.is_in(list(flt.values)))
    return frame


def with_derived(frame: pl.DataFrame, query: Query) -> pl.DataFrame:
    """Add the per-record columns each measure's kind derives."""
    for measure in query.measures:
        frame = kind_of(measure).derive(frame, measure)
    return frame


def keyed_order(columns: list[str], salt: int) -> pl.Expr:
    """A keyed-random rank key: a seeded hash of the given columns' values."""
    return pl.struct(*columns).hash(seed=salt)


def with_bounds(
    frame: pl.DataFrame, query: Query, bounds: ContributionBounds, salt: int
) -> pl.DataFrame:
    """Keep k groups, r records per group and M records per citizen, in keyed-random order."""
    groups = list(query.group_by)
    k, r = bounds.groups_per_citizen, bounds.records_per_group
    if k is not None and groups:
        chosen = keyed_order([CITIZEN, *groups], salt).rank("dense").over(CITIZEN)
        frame = frame.filter(chosen <= k)
    order = keyed_order(frame.columns, salt ^ RECORD_SEED)
    if r is not None and groups:
        frame = frame.filter(order.rank("ordinal").over(CITIZEN, *groups) <= r)
    return frame.filter(order.rank("ordinal").over(CITIZEN) <= bounds.records_per_citizen)


def prepared_schema(query: Query, dataset: DatasetSpec) -> pl.Schema:
    """The columns and types of the bounded records, known without data."""
    columns: dict[str, pl.DataType] = {CITIZEN: pl.String()}
    for name in used_fields(query):
        columns[name] = _DTYPES[dataset.fields[name].type]()
    for m in query.measures:
        columns.update(kind_of(m).derived_columns(m))
    return pl.Schema(columns)


def bounded(
    frame: pl.DataFrame,
    query: Query,
    dataset: DatasetSpec,
    bounds: ContributionBounds,
    salt: int,
) -> pl.DataFrame:
    """The bounded records of ``query`` in ``frame`` (all of each citizen's records)."""
    frame = filtered(selected(frame, query, dataset), query.filters)
    frame = with_derived(frame, query).select(list(prepared_schema(query, dataset)))
    return with_bounds(frame, query, bounds, salt)
