"""A release's query in words: measures, grouping, months, other filters and mechanism.

The release page and the release list show what was asked for, not just an id:
"Count of records and mean of duration_min (minutes) by district, in 2025-03;
Laplace mechanism". Built from the signed document's normalised query, with the
catalog for units and the measure registry for names.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from anonymise.measures.registry import MEASURES
from policies.catalog import Catalog


def measure_words(item: dict[str, Any], catalog: Catalog, dataset: str) -> str:
    """One measure for people: "Mean of duration_min (minutes)", with levels or bins."""
    kind = MEASURES.get(item["kind"])
    label = kind.label if kind is not None else item["kind"]
    name = item.get("field")
    if name is None:
        return label
    spec = catalog.datasets[dataset].fields.get(name) if dataset in catalog.datasets else None
    unit = f" ({spec.unit})" if spec is not None and spec.unit else ""
    text = _("%(measure)s of %(field)s", measure=label, field=name) + unit
    if item.get("quantiles"):
        levels = ", ".join(f"{q:g}" for q in item["quantiles"])
        text += " " + _("at %(levels)s", levels=levels)
    if item.get("bins"):
        text += " " + _("in %(count)s bins", count=len(item["bins"]) - 1)
    return text


def _filter(item: dict[str, Any]) -> str:
    if "between" in item:
        low, high = item["between"]
        if low == high:
            return _("%(field)s %(value)s", field=item["field"], value=low)
        return _("%(field)s %(low)s to %(high)s", field=item["field"], low=low, high=high)
    values = ", ".join(str(v) for v in item.get("in", []))
    return _("%(field)s %(value)s", field=item["field"], value=values)


def describe(query: dict[str, Any], catalog: Catalog) -> str:
    """One sentence for people; every part of the query that changes the numbers is in it."""
    measures = [measure_words(m, catalog, query["dataset"]) for m in query["measures"]]
    measures[1:] = [m[:1].lower() + m[1:] for m in measures[1:]]  # mid-sentence
    if len(measures) > 1:
        what = _("%(list)s and %(last)s", list=", ".join(measures[:-1]), last=measures[-1])
    else:
        what = measures[0] if measures else ""
    parts = [what]
    if query.get("group_by"):
        parts.append(_("by %(fields)s", fields=", ".join(query["group_by"])))
    filters = [_filter(f) for f in query.get("filters", [])]
    sentence = " ".join(parts)
    if filters:
        sentence += ", " + _("for %(filters)s", filters="; ".join(filters))
    else:
        sentence += ", " + _("over all records")
    mechanism = _("Gaussian") if query.get("mechanism") == "gaussian" else _("Laplace")
    return sentence + "; " + _("%(mechanism)s mechanism", mechanism=mechanism)
