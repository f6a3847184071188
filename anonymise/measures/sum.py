"""The sum of a numeric field per group, each value clamped to the catalog's bounds.

One record moves the sum by at most the larger absolute bound, so the
sensitivity is the count's times that magnitude. Integer fields get discrete
noise; float sums continuous noise, with OpenDP's rounding analysis over the
declared maximum row count.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from anonymise.measures.base import VALUE, Component, MeasureKind, Output, additive_cells
from anonymise.query_values import Measure
from anonymise.result import Cell
from anonymise.sensitivity import Spread, value_magnitude
from policies.catalog import FieldSpec


class Sum(MeasureKind):
    """Sum of a numeric field's clamped values."""

    name = "sum"
    label = "Sum"
    role = "sum"

    def sensitivity(
        self, s: Spread, spec: FieldSpec | None, pure: bool, level: float | None
    ) -> float:
        per_record = super().sensitivity(s, spec, pure, level)
        if spec is None:
            return per_record
        return per_record * value_magnitude(float(spec.low or 0), float(spec.high or 0))

    def distribution(self, spec: FieldSpec | None, mechanism: str) -> str:
        base = "laplace" if mechanism == "laplace" else "gaussian"
        return f"discrete_{base}" if spec is not None and spec.type == "integer" else base

    def expression(
        self, component: Component, scale: float, integer: bool, low: float, high: float
    ) -> pl.Expr:
        bounds = (int(low), int(high)) if integer else (low, high)
        column: Any = pl.col(component.field or "")  # OpenDP adds the ``dp`` namespace
        expr: pl.Expr = column.dp.sum(bounds, scale=scale).alias(VALUE)
        return expr

    def cells(
        self,
        measure: Measure,
        outputs: list[Output],
        group_by: tuple[str, ...],
        low: float,
        high: float,
    ) -> list[Cell]:
        return additive_cells(measure, outputs[0], group_by, self.alpha, nonnegative=low >= 0)
