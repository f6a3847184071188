"""Row-wise preparation of a frame in plain Polars, before OpenDP sees it.

Everything here is a per-record or per-citizen map, so removing one citizen from
the input removes exactly that citizen's rows from the output and changes
nothing else: the neighbouring relation (and so the privacy guarantee of the
OpenDP measurement that follows) is preserved. No noise, no aggregation.

- keep the identifier and the fields the query uses, in the types the catalog
  declares (strings for categories and months, floats, 64-bit integers);
- apply the query's filters on public fields (before truncation, so bounding
  keeps relevant records);
- add the columns each measure kind derives per record (a histogram's bin label);
- when a policy bounds the number of groups per citizen, choose which k groups
  each citizen keeps by a per-citizen random order: rank the citizen's groups by
  a hash of (citizen, group key) salted afresh for every release. Unlike
  ``keep="first"`` this does not favour keys that sort first, and unlike
  ``keep="sample"`` it does not crash; OpenDP's own truncation then enforces
  (and charges for) the bound.

>>> frame = pl.DataFrame({"citizen_id": ["a", "a"], "mode": ["bus", "tram"]})
>>> filtered(frame, (Filter("mode", ("bus",)),))["mode"].to_list()
['bus']
"""

from __future__ import annotations

import secrets

import polars as pl

from anonymise.measurement import CITIZEN
from anonymise.measures.registry import kind_of
from anonymise.query_values import Filter, Query
from anonymise.sensitivity import ContributionBounds
from policies.catalog import DatasetSpec

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


def with_group_choice(
    frame: pl.DataFrame, query: Query, bounds: ContributionBounds
) -> pl.DataFrame:
    """Keep, per citizen, the k groups that come first in a fresh random order."""
    k = bounds.groups_per_citizen
    if k is None or not query.group_by:
        return frame
    salt = secrets.randbits(63)
    order = pl.struct(CITIZEN, *query.group_by).hash(seed=salt)
    return frame.filter(order.rank("dense").over(CITIZEN) <= k)


def prepared_schema(query: Query, dataset: DatasetSpec) -> pl.Schema:
    """The columns and types of :func:`prepare`'s output, known without data."""
    columns: dict[str, pl.DataType] = {CITIZEN: pl.String()}
    for name in used_fields(query):
        columns[name] = _DTYPES[dataset.fields[name].type]()
    for m in query.measures:
        columns.update(kind_of(m).derived_columns(m))
    return pl.Schema(columns)


def prepare(
    frame: pl.DataFrame, query: Query, dataset: DatasetSpec, bounds: ContributionBounds
) -> pl.DataFrame:
    """The frame an OpenDP measurement of ``query`` runs on."""
    frame = filtered(selected(frame, query, dataset), query.filters)
    frame = with_group_choice(with_derived(frame, query), query, bounds)
    return frame.select(list(prepared_schema(query, dataset)))
