"""The mean of a numeric field per group: a noisy sum over a noisy count.

Half the measure's share goes to each. Each part's interval is taken at
alpha/2, so by the union bound the ratio's interval covers the bounded mean
with probability >= 1 - alpha (:func:`anonymise.accuracy.mean_interval`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from anonymise.accuracy import ALPHA, half_width, mean_interval, planned_mean_half_width
from anonymise.measures.base import Accuracy, Component, MeasureKind, Output, Setting
from anonymise.measures.count import Count
from anonymise.measures.sum import Sum
from anonymise.query_values import Measure
from anonymise.result import Cell
from policies.catalog import FieldSpec

SUM, COUNT = Sum(), Count()


class Mean(MeasureKind):
    """Mean of a numeric field's clamped values."""

    name = "mean"
    label = "Mean"
    role = "mean"
    alpha = ALPHA / 2

    def problems(self, measure: Mapping[str, Any], spec: FieldSpec) -> list[tuple[str, str]]:
        if measure["target_half_width"] and not measure["expected_records"]:
            return [("expected_records", "a mean's target accuracy needs expected_records")]
        return []

    def components(self, measure: Measure, share: float, setting: Setting) -> list[Component]:
        return [
            SUM.component(measure, share, setting, part=0.5),
            COUNT.component(measure, share, setting, part=0.5),
        ]

    def planned_accuracy(
        self, measure: Measure, parts: list[Accuracy], low: float, high: float
    ) -> Accuracy:
        if measure.expected_records is None:
            return Accuracy()
        return Accuracy(
            half_width=planned_mean_half_width(
                parts[0].half_width or 0.0,
                parts[1].half_width or 0.0,
                measure.expected_records,
                low,
                high,
            )
        )

    def cells(
        self,
        measure: Measure,
        outputs: list[Output],
        group_by: tuple[str, ...],
        low: float,
        high: float,
    ) -> list[Cell]:
        sums, counts = outputs
        sum_hw = half_width(sums.component.distribution, sums.scale, self.alpha)
        count_hw = half_width(counts.component.distribution, counts.scale, self.alpha)
        cells = []
        keys = sums.component.released_keys()
        for key, s, n in zip(keys, sums.values, counts.values, strict=True):
            value, lower, upper = mean_interval(float(s), sum_hw, float(n), count_hw, low, high)
            cells.append(
                Cell(
                    measure=measure.name,
                    kind=measure.kind,
                    group=dict(zip(group_by, key, strict=True)),
                    value=value,
                    half_width=max(value - lower, upper - value),
                    lower=lower,
                    upper=upper,
                )
            )
        return cells
