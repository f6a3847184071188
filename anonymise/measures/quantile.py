"""Quantiles of a numeric field per group, by OpenDP's exponential mechanism.

The measure's share is split evenly over its levels (multiples of 1/64). The
candidates are public: every integer of a small integer range, else a grid of
101 values. The score of level ``num/den`` moves by at most ``max(num, den -
num)`` per record (:func:`anonymise.sensitivity.quantile_step`); groups compose
in epsilon (pure DP) or in rho (zCDP, where the exponential mechanism's scale
is ``sensitivity / sqrt(8 rho)``). Its accuracy is a rank error: records of
rank by which the released candidate may miss the best one.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from fractions import Fraction
from typing import Any, ClassVar

import polars as pl

from anonymise.accuracy import quantile_rank_error
from anonymise.measures.base import (
    VALUE,
    Accuracy,
    Component,
    MeasureKind,
    Output,
    Setting,
)
from anonymise.query_values import Measure
from anonymise.result import Cell
from anonymise.sensitivity import Spread, quantile_denominator, quantile_step
from policies.catalog import FieldSpec

QUANTILE_GRID = 64  # levels are multiples of 1/64 (see anonymise.sensitivity)
QUANTILE_CANDIDATES = 101


def quantile_candidates(spec: FieldSpec) -> tuple[float, ...]:
    """Public candidate values: every integer of a small integer range, else a grid."""
    low, high = float(spec.low or 0), float(spec.high or 0)
    if spec.type == "integer" and high - low < QUANTILE_CANDIDATES:
        return tuple(float(v) for v in range(int(low), int(high) + 1))
    step = (high - low) / (QUANTILE_CANDIDATES - 1)
    return (*(low + i * step for i in range(QUANTILE_CANDIDATES - 1)), high)


def level_problems(levels: list[float]) -> list[str]:
    """Why ``levels`` are not 1 to 9 distinct multiples of 1/64 strictly inside (0, 1)."""
    if not 1 <= len(levels) <= 9:
        return ["give between 1 and 9 quantile levels"]
    if len(set(levels)) != len(levels):
        return ["quantile levels must be distinct"]
    for level in levels:
        if not 0 < level < 1 or (Fraction(level) * QUANTILE_GRID).denominator != 1:
            return [f"{level} is not a multiple of 1/{QUANTILE_GRID} strictly between 0 and 1"]
    return []


class Quantile(MeasureKind):
    """Quantiles of a numeric field at the requested levels."""

    name = "quantile"
    label = "Quantiles"
    role = "quantile"
    parameters: ClassVar[tuple[str, ...]] = ("quantiles",)
    rank_accuracy = True
    zcdp_factor = 8.0

    def problems(self, measure: Mapping[str, Any], spec: FieldSpec) -> list[tuple[str, str]]:
        out = [("quantiles", m) for m in level_problems(measure["quantiles"])]
        return out + self.target_problems(measure)

    @staticmethod
    def target_problems(measure: Mapping[str, Any]) -> list[tuple[str, str]]:
        """A quantile's accuracy is a rank error: it cannot be asked for as a half-width."""
        if measure["target_half_width"] is None:
            return []
        return [("target_half_width", "a quantile's accuracy is a rank error; give epsilon")]

    def levels(self, measure: Measure) -> tuple[float, ...]:
        return measure.quantiles

    def components(self, measure: Measure, share: float, setting: Setting) -> list[Component]:
        levels = self.levels(measure)
        return [
            self.component(measure, share, setting, level=level, part=1.0 / len(levels))
            for level in levels
        ]

    def sensitivity(
        self, s: Spread, spec: FieldSpec | None, pure: bool, level: float | None
    ) -> float:
        groups = s.l0 if pure else math.sqrt(s.l0)  # groups compose in epsilon or in rho
        return 2.0 * quantile_step(level or 0.5) * s.linf * groups

    def distribution(self, spec: FieldSpec | None, mechanism: str) -> str:
        return "exponential_min" if mechanism == "laplace" else "gumbel_min"

    def candidates(self, spec: FieldSpec | None) -> tuple[float, ...]:
        return quantile_candidates(spec) if spec is not None else ()

    def expression(
        self, component: Component, scale: float, integer: bool, low: float, high: float
    ) -> pl.Expr:
        candidates: list[Any] = list(component.candidates)
        if integer:
            candidates = [int(c) for c in candidates]
        column: Any = pl.col(component.field or "")  # OpenDP adds the ``dp`` namespace
        expr: pl.Expr = column.dp.quantile(component.level, candidates, scale=scale)
        return expr.alias(VALUE)

    def component_accuracy(self, component: Component, scale: float, alpha: float) -> Accuracy:
        denominator = quantile_denominator(component.level or 0.5)
        rank = quantile_rank_error(scale, len(component.candidates), denominator, alpha)
        return Accuracy(rank_error=rank)

    def planned_accuracy(
        self, measure: Measure, parts: list[Accuracy], low: float, high: float
    ) -> Accuracy:
        return Accuracy(rank_error=max(p.rank_error or 0.0 for p in parts))

    def cells(
        self,
        measure: Measure,
        outputs: list[Output],
        group_by: tuple[str, ...],
        low: float,
        high: float,
    ) -> list[Cell]:
        cells: list[Cell] = []
        for out in outputs:
            comp = out.component
            rank = self.component_accuracy(comp, out.scale, self.alpha).rank_error
            cells.extend(
                Cell(
                    measure=measure.name,
                    kind=measure.kind,
                    group=dict(zip(group_by, key, strict=True)),
                    value=float(raw),
                    half_width=None,
                    lower=None,
                    upper=None,
                    quantile=comp.level,
                    rank_error=rank,
                )
                for key, raw in zip(comp.released_keys(), out.values, strict=True)
            )
        return cells
