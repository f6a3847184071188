"""The quartiles of a numeric field per group: the quantiles at 1/4, 1/2 and 3/4.

A shorthand for the three levels a department usually wants to see a
distribution's spread; released, planned and hashed exactly as a quantile
measure with those levels.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from anonymise.measures.quantile import Quantile
from anonymise.query_values import Measure
from policies.catalog import FieldSpec

LEVELS = (0.25, 0.5, 0.75)


class Quartiles(Quantile):
    """The 0.25, 0.5 and 0.75 quantiles, by name."""

    name = "quartiles"
    label = "Quartiles"
    parameters = ()

    def problems(self, measure: Mapping[str, Any], spec: FieldSpec) -> list[tuple[str, str]]:
        return self.target_problems(measure)

    def levels(self, measure: Measure) -> tuple[float, ...]:
        return LEVELS

    def normal_form(self, measure: Measure) -> Measure:
        return replace(measure, kind="quantile", quantiles=LEVELS)
