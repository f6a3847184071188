"""Quantiles of a numeric field per group, by OpenDP's exponential mechanism.

The measure's share is split evenly over its levels (multiples of 1/64). The
candidates are public: every integer of a small integer range, else a grid of
101 values. A shard's partial is, per group, how many bounded values fall
below each candidate and above it (two additive histograms over the gaps
between candidates); the coordinator turns the totals into OpenDP's score
``|den * #below - num * (#below + #above)|`` (as ``make_quantile_score_candidates``
defines it) and picks a candidate per group with OpenDP's ``make_noisy_max``.
The score of level ``num/den`` moves by at most ``max(num, den - num)`` per
record (:func:`anonymise.sensitivity.quantile_step`); a citizen touches at most
``l0`` groups, so the groups' losses add up to ``l0`` times one group's, in
epsilon (pure DP) or in rho (zCDP, where the exponential mechanism's scale is
``sensitivity / sqrt(8 rho)``). Its accuracy is a rank error: records of rank
by which the released candidate may miss the best one.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from fractions import Fraction
from typing import Any, ClassVar

import numpy as np
import opendp.prelude as dp
import polars as pl

from anonymise.accuracy import quantile_rank_error
from anonymise.measures.base import (
    KEY,
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


def output_measure(mechanism: str) -> Any:
    """Pure DP for Laplace-noised queries, zero-concentrated DP for Gaussian ones."""
    return dp.max_divergence() if mechanism == "laplace" else dp.zero_concentrated_divergence()


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

    def partial(self, component: Component, keyed: pl.DataFrame) -> np.ndarray:
        """Per group, counts of values in each gap between candidates, seen from both sides.

        Row 0 counts values by ``#candidates <= value`` (so a candidate's
        "below" count is the sum of gaps up to it), row 1 by ``#candidates <
        value`` ("above": the sum of gaps after it).
        """
        candidates = np.asarray(component.candidates, dtype=np.float64)
        gaps = len(candidates) + 1
        out = np.zeros((2, component.n_keys, gaps), dtype=np.int64)
        if not keyed.height:
            return out
        values = keyed[component.field or ""].cast(pl.Float64).to_numpy()
        keys = keyed[KEY].to_numpy().astype(np.int64)
        below = np.searchsorted(candidates, values, side="right")  # candidates <= value
        above = np.searchsorted(candidates, values, side="left")  # candidates < value
        for row, gap in enumerate((below, above)):
            cells = np.bincount(keys * gaps + gap, minlength=component.n_keys * gaps)
            out[row] = cells.reshape(component.n_keys, gaps)
        return out

    def scores(self, component: Component, total: np.ndarray) -> np.ndarray:
        """OpenDP's quantile scores per group and candidate, from the summed gap counts."""
        exact = Fraction(component.level or 0.5)
        num, den = exact.numerator, exact.denominator
        below = np.cumsum(total[0], axis=1)[:, :-1]
        above = np.cumsum(total[1][:, ::-1], axis=1)[:, ::-1][:, 1:]
        scores: np.ndarray = np.abs(den * below - num * (below + above))
        return scores

    def d_in(self, component: Component, pure: bool) -> float | int:
        return quantile_step(component.level or 0.5) * component.spread.linf

    def measurement(self, component: Component, scale: float, mechanism: str) -> Any:
        """OpenDP's report-noisy-min over one group's candidate scores."""
        domain = dp.vector_domain(dp.atom_domain(T="u64"))
        return dp.m.make_noisy_max(
            domain, dp.linf_distance(T="u64"), output_measure(mechanism), scale, negate=True
        )

    def loss(self, component: Component, measurement: Any, mechanism: str) -> float:
        one_group = float(measurement.map(self.d_in(component, mechanism == "laplace")))
        return one_group * min(component.spread.l0, component.n_keys)

    def noisy(self, component: Component, measurement: Any, total: np.ndarray) -> list[Any]:
        candidates = component.candidates
        chosen = [measurement([int(v) for v in row]) for row in self.scores(component, total)]
        return [candidates[i] for i in chosen]

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
