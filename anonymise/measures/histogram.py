"""A histogram of a numeric field per group: counts over bins with public edges.

Each record is labelled with its bin (values clamped to the outer edges) in a
per-record map before bounding; the bins become one more grouping column, so a
citizen's records may spread over every bin and the group-count bound does not
apply to it.
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import pairwise
from typing import Any

import polars as pl

from anonymise.measures.base import Component, MeasureKind, Output, Setting, additive_cells
from anonymise.query_values import Measure
from anonymise.result import Cell
from policies.catalog import FieldSpec

BIN_PREFIX = "__bin_"


def bin_column(measure: str) -> str:
    """The derived column holding a histogram measure's bin label."""
    return BIN_PREFIX + measure


def bin_labels(edges: tuple[float, ...]) -> tuple[str, ...]:
    """Half-open bins ``[a, b)``, the last one closed.

    >>> bin_labels((0.0, 10.0, 30.0))
    ('[0, 10)', '[10, 30]')
    """
    last = len(edges) - 2
    return tuple(
        f"[{a:g}, {b:g}{']' if i == last else ')'}" for i, (a, b) in enumerate(pairwise(edges))
    )


class Histogram(MeasureKind):
    """Counts of a numeric field's values in bins."""

    name = "histogram"
    label = "Histogram"
    role = "histogram"
    parameters = ("bins",)

    def problems(self, measure: Mapping[str, Any], spec: FieldSpec) -> list[tuple[str, str]]:
        bins: list[float] = measure["bins"]
        if not 2 <= len(bins) <= 101:
            return [("bins", "give between 2 and 101 bin edges")]
        if any(a >= b for a, b in pairwise(bins)):
            return [("bins", "bin edges must increase strictly")]
        if spec.low is None or spec.high is None or bins[0] < spec.low or bins[-1] > spec.high:
            bounds = f"[{spec.low}, {spec.high}]"
            return [("bins", f"bin edges must lie within the field's bounds {bounds}")]
        return []

    def derived_columns(self, measure: Measure) -> dict[str, pl.DataType]:
        return {bin_column(measure.name): pl.String()}

    def derive(self, frame: pl.DataFrame, measure: Measure) -> pl.DataFrame:
        edges = measure.bins
        clamped = pl.col(measure.field or "").cast(pl.Float64).clip(edges[0], edges[-1])
        labels = bin_labels(edges)
        label = pl.lit(labels[-1])
        for edge, text in reversed(list(zip(edges[1:-1], labels[:-1], strict=True))):
            label = pl.when(clamped < edge).then(pl.lit(text)).otherwise(label)
        return frame.with_columns(label.alias(bin_column(measure.name)))

    def components(self, measure: Measure, share: float, setting: Setting) -> list[Component]:
        labels = bin_labels(measure.bins)
        return [
            self.component(
                measure,
                share,
                setting,
                keys=tuple((*k, label) for k in setting.keys for label in labels),
                group_by=(*setting.query.group_by, bin_column(measure.name)),
                bins=measure.bins,
            )
        ]

    def cells(
        self,
        measure: Measure,
        outputs: list[Output],
        group_by: tuple[str, ...],
        low: float,
        high: float,
    ) -> list[Cell]:
        return additive_cells(
            measure, outputs[0], group_by, self.alpha, nonnegative=True, binned=True
        )
