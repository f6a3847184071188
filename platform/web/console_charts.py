"""The release page's charts: one per measure (and quantile level), each with its table.

Each chart has a title in words (the measure and its grouping), a value axis
named with its unit from the catalog, the groups named above the labels, and
95 % error bars; the page puts the chart's cells beside it as a table, the
accessible alternative to the picture.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from civicdata.web.charts import Bar, bar_chart
from civicdata.web.query_words import describe
from policies.catalog import Catalog


def _axis(document: dict[str, Any], measure: dict[str, Any], catalog: Catalog) -> str:
    """The value axis of a measure's chart, with its unit."""
    kind = measure["kind"]
    if kind in ("count", "histogram"):
        return _("Records")
    if kind == "distinct_citizens":
        return _("Citizens")
    dataset = catalog.datasets.get(document["query"]["dataset"])
    spec = None if dataset is None else dataset.fields.get(measure.get("field") or "")
    unit = spec.unit if spec is not None and spec.unit else ""
    name = measure.get("field") or kind
    return f"{name} ({unit})" if unit else name


def charts(document: dict[str, Any], catalog: Catalog) -> list[dict[str, Any]]:
    """One chart per measure (and quantile level), each with its cells as a table."""
    query = document["query"]
    group_by = query["group_by"]
    measures = {m["name"]: m for m in query["measures"]}
    by_chart: dict[str, dict[str, Any]] = {}
    for cell in document["cells"]:
        label = " · ".join(str(cell["group"][g]) for g in group_by) or _("all")
        if cell.get("bin") is not None:
            label = f"{label} · {cell['bin']}"
        measure = measures.get(cell["measure"], {"kind": cell["kind"], "name": cell["measure"]})
        title = describe({**query, "measures": [measure], "filters": []}, catalog)
        title = title.rsplit(";", 1)[0].removesuffix(", " + _("over all records"))
        if cell.get("quantile") is not None:
            title = _("%(title)s, quantile %(level)s", title=title, level=f"{cell['quantile']:g}")
        chart = by_chart.setdefault(
            title,
            {"title": title, "axis": _axis(document, measure, catalog), "bars": [], "cells": []},
        )
        chart["bars"].append(Bar(label, float(cell["value"]), cell["half_width"]))
        chart["cells"].append(cell)
    groups = ", ".join(group_by)
    out = []
    for i, chart in enumerate(by_chart.values()):
        svg = bar_chart(
            chart["title"] + " " + _("(error bars at %(level)s %%)", level=95),
            chart["bars"],
            axis=chart["axis"],
            groups=groups,
        )
        out.append({**chart, "svg": svg, "id": f"chart-table-{i}"})
    return out
