"""The normal form of a query and its hash, for "the same query gets the same release".

Two queries that ask for the same statistics normalise to the same form: a
median is the 0.5 quantile, measures are ordered by name, group-by fields and
filters by field name, filter values sorted and de-duplicated, numbers in one
notation. The platform keys stored releases by :func:`query_hash`, so asking the
same thing twice cannot be used to average the noise away.

>>> from anonymise.query_values import Measure, Query
>>> a = Query("trips", "p", (Measure("median", "m", "duration_min"),), ("mode", "district"))
>>> b = Query("trips", "p", (Measure("quantile", "m", "duration_min", quantiles=(0.5,)),),
...           ("district", "mode"))
>>> query_hash(a) == query_hash(b)
True
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from decimal import Decimal
from typing import Any

from anonymise.measures.registry import kind_of
from anonymise.query_values import Filter, Measure, Query


def _measure(measure: Measure) -> Measure:
    measure = kind_of(measure).normal_form(measure)
    return replace(
        measure,
        bins=tuple(float(b) for b in measure.bins),
        quantiles=tuple(sorted(float(q) for q in measure.quantiles)),
        target_half_width=None
        if measure.target_half_width is None
        else float(measure.target_half_width),
    )


def _filter(flt: Filter) -> Filter:
    return replace(flt, values=tuple(sorted(set(flt.values), key=lambda v: (str(type(v)), v))))


def normalise(query: Query) -> Query:
    """The query in normal form (same meaning, one spelling)."""
    return replace(
        query,
        measures=tuple(sorted((_measure(m) for m in query.measures), key=lambda m: m.name)),
        group_by=tuple(sorted(query.group_by)),
        filters=tuple(sorted((_filter(f) for f in query.filters), key=lambda f: f.field)),
        epsilon=None if query.epsilon is None else query.epsilon.normalize(),
        delta=None if query.delta is None else query.delta.normalize(),
    )


def _number(value: Decimal | None) -> str | None:
    return None if value is None else format(value.normalize(), "f")


def as_dict(query: Query) -> dict[str, Any]:
    """A JSON-ready dict of the normalised query, in the input schema's shape."""
    query = normalise(query)
    measures = []
    for m in query.measures:
        item: dict[str, Any] = {"kind": m.kind, "name": m.name, "weight": m.weight}
        if m.field is not None:
            item["field"] = m.field
        if m.bins:
            item["bins"] = list(m.bins)
        if m.quantiles:
            item["quantiles"] = list(m.quantiles)
        if m.target_half_width is not None:
            item["target_half_width"] = m.target_half_width
        if m.expected_records is not None:
            item["expected_records"] = m.expected_records
        measures.append(item)
    filters: list[dict[str, Any]] = [
        {"field": f.field, "between": list(f.between)}
        if f.between is not None
        else {"field": f.field, "in": list(f.values)}
        for f in query.filters
    ]
    return {
        "dataset": query.dataset,
        "purpose": query.purpose,
        "measures": measures,
        "group_by": list(query.group_by),
        "filters": filters,
        "epsilon": _number(query.epsilon),
        "mechanism": query.mechanism,
        "delta": _number(query.delta),
    }


def canonical_json(query: Query) -> str:
    """Compact, key-sorted JSON of the normal form: the bytes that get hashed."""
    return json.dumps(as_dict(query), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def query_hash(query: Query) -> str:
    """SHA-256 (hex) of :func:`canonical_json`."""
    return hashlib.sha256(canonical_json(query).encode("utf-8")).hexdigest()
