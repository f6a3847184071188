"""The count of distinct citizens per group: one record per citizen and group, counted.

Truncating to one record per citizen and group (before counting) gives each
group a per-citizen contribution of 1, so the sensitivity is the number of
groups a citizen can touch.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from anonymise.measures.base import KEY, Component, MeasureKind, per_key

CITIZEN = "citizen_id"


class DistinctCitizens(MeasureKind):
    """Number of citizens with at least one record (after bounding)."""

    name = "distinct_citizens"
    label = "Count of distinct citizens"
    role = "distinct"
    takes_field = False
    one_per_group = True

    def partial(self, component: Component, keyed: pl.DataFrame) -> np.ndarray:
        return per_key(keyed.unique([CITIZEN, KEY]), pl.len(), component.n_keys)
