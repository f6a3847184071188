"""The median of a numeric field per group: the quantile at level 1/2.

It is released, planned and hashed exactly as a quantile measure with the one
level 0.5 (so asking for either is the same query).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from anonymise.measures.quantile import Quantile
from anonymise.query_values import Measure
from policies.catalog import FieldSpec


class Median(Quantile):
    """The 0.5 quantile, by name."""

    name = "median"
    label = "Median"
    parameters = ()

    def problems(self, measure: Mapping[str, Any], spec: FieldSpec) -> list[tuple[str, str]]:
        return self.target_problems(measure)

    def levels(self, measure: Measure) -> tuple[float, ...]:
        return (0.5,)

    def normal_form(self, measure: Measure) -> Measure:
        return replace(measure, kind="quantile", quantiles=(0.5,))
