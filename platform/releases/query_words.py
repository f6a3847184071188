"""A released query in plain words: its months, groups, filters and measures.

Reads the normalised query of a release document (see
:func:`anonymise.canonical.as_dict`) and the dataset's catalog entry, so that
a reader of the transparency page need not parse JSON::

>>> words = describe_query({"dataset": "trips", "purpose": "p", "group_by": ["mode"],
...     "filters": [{"field": "month", "between": ["2025-01", "2025-06"]},
...                 {"field": "mode", "in": ["bus", "tram"]}],
...     "measures": [{"kind": "count", "name": "trips"},
...                  {"kind": "quantile", "name": "q", "field": "duration_min",
...                   "quantiles": [0.5]}]})
>>> words.months, words.group_by, words.filters
('2025-01 to 2025-06', 'mode', ['mode is one of bus, tram'])
>>> words.measures
['trips: number of records', 'q: median of duration_min']
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from policies.catalog import DatasetSpec

MONTH_FIELD = "month"
KINDS = {
    "count": "number of records",
    "distinct_citizens": "number of residents",
    "sum": "sum of {field}",
    "mean": "mean of {field}",
    "histogram": "distribution of {field}",
    "median": "median of {field}",
    "quantile": "quantiles of {field}",
    "quartiles": "quartiles of {field}",
}


@dataclass(frozen=True, slots=True)
class QueryWords:
    """What a release asked, phrased for people."""

    months: str
    group_by: str
    filters: list[str]
    measures: list[str]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def describe_query(query: dict[str, Any], dataset: DatasetSpec | None = None) -> QueryWords:
    """The query of a release document in words (``dataset`` names the month field's span)."""
    filters = query.get("filters", [])
    months = next((f for f in filters if f.get("field") == MONTH_FIELD), None)
    return QueryWords(
        months=_months(months, dataset),
        group_by=", ".join(query.get("group_by", [])) or "none (one total)",
        filters=[_filter(f) for f in filters if f is not months],
        measures=[_measure(m) for m in query.get("measures", [])],
    )


def _months(flt: dict[str, Any] | None, dataset: DatasetSpec | None) -> str:
    if flt is None:
        spec = None if dataset is None else dataset.fields.get(MONTH_FIELD)
        if spec is None or spec.time_min is None:
            return "every month held"
        return f"every month held ({spec.time_min} to {spec.time_max})"
    if "between" in flt:
        low, high = flt["between"]
        return f"{low} to {high}"
    return ", ".join(str(v) for v in flt.get("in", []))


def _filter(flt: dict[str, Any]) -> str:
    field = flt.get("field", "?")
    if "between" in flt:
        low, high = flt["between"]
        return f"{field} between {low} and {high}"
    values = [str(v) for v in flt.get("in", [])]
    if len(values) == 1:
        return f"{field} is {values[0]}"
    return f"{field} is one of {', '.join(values)}"


def _measure(measure: dict[str, Any]) -> str:
    kind = str(measure.get("kind", "?"))
    field = measure.get("field") or ""
    phrase = KINDS.get(kind, kind).format(field=field)
    levels = measure.get("quantiles") or []
    if kind == "quantile" and levels == [0.5]:
        phrase = f"median of {field}"
    elif kind == "quantile" and levels:
        phrase += " at " + ", ".join(f"{level:g}" for level in levels)
    if kind == "histogram" and measure.get("bins"):
        phrase += " in bins " + ", ".join(f"{edge:g}" for edge in measure["bins"])
    return f"{measure.get('name', kind)}: {phrase}"
