"""The sum of a numeric field per group, each value clamped to the catalog's bounds.

One record moves the sum by at most the larger absolute bound, so the
sensitivity is the count's times that magnitude. Integer fields get discrete
noise on the exact integer sum. Float values are rounded to a fixed-point grid
(a power of two, :meth:`Sum.quantum`, chosen from the public row bound so that
no total can leave the range where float64 holds integers exactly), summed as
integers, so shards add up exactly in any order, and the total gets OpenDP's
continuous-valued Laplace or Gaussian noise.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import opendp.prelude as dp
import polars as pl

from anonymise.measures.base import Component, MeasureKind, Output, additive_cells, per_key
from anonymise.query_values import Measure
from anonymise.result import Cell
from anonymise.sensitivity import Spread, value_magnitude
from policies.catalog import FieldSpec

FINEST_QUANTUM_BITS = 16  # float sums are exact to 2**-16 at most
EXACT_BITS = 52  # |total| below 2**52 grid steps: float64 holds it exactly


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

    def quantum(self, spec: FieldSpec | None, max_rows: int) -> float:
        if spec is None or spec.type == "integer":
            return 1.0
        magnitude = max(value_magnitude(float(spec.low or 0), float(spec.high or 0)), 1.0)
        bits = EXACT_BITS - math.ceil(math.log2(max_rows * magnitude))
        return 2.0 ** -min(FINEST_QUANTUM_BITS, bits)

    def units(self, component: Component) -> pl.Expr:
        """Each clamped value in grid steps, as an exact integer."""
        clamped = pl.col(component.field or "").clip(component.low, component.high)
        if component.quantum == 1.0 and self.integer(component):
            return clamped.cast(pl.Int64)
        return (clamped.cast(pl.Float64) / component.quantum).round().cast(pl.Int64)

    @staticmethod
    def integer(component: Component) -> bool:
        return component.distribution.startswith("discrete")

    def partial(self, component: Component, keyed: pl.DataFrame) -> np.ndarray:
        return per_key(keyed, self.units(component).sum(), component.n_keys)

    def step(self, component: Component) -> float:
        """The largest move of one clamped record, in the totals' unit."""
        q = component.quantum
        return round(value_magnitude(component.low, component.high) / q) * q

    def d_in(self, component: Component, pure: bool) -> float | int:
        s = component.spread
        if pure and self.integer(component):
            return int(s.l1 * self.step(component))
        return (float(s.l1) if pure else s.l2) * self.step(component)

    def measurement(self, component: Component, scale: float, mechanism: str) -> Any:
        if self.integer(component):
            return super().measurement(component, scale, mechanism)
        domain = dp.vector_domain(dp.atom_domain(T=float, nan=False))
        if mechanism == "laplace":
            return dp.m.make_laplace(domain, dp.l1_distance(T=float), scale)
        return dp.m.make_gaussian(domain, dp.l2_distance(T=float), scale)

    def noisy(self, component: Component, measurement: Any, total: np.ndarray) -> list[Any]:
        if self.integer(component):
            return super().noisy(component, measurement, total)
        released: list[Any] = measurement([float(v) * component.quantum for v in total])
        return released

    def cells(
        self,
        measure: Measure,
        outputs: list[Output],
        group_by: tuple[str, ...],
        low: float,
        high: float,
    ) -> list[Cell]:
        return additive_cells(measure, outputs[0], group_by, self.alpha, nonnegative=low >= 0)
