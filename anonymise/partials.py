"""A release's work per shard of citizens: bounded records to exact partial aggregates.

A shard holds all the records of its citizens (the platform assigns citizens
to shards by a keyed hash of their id). :func:`shard_partials` bounds each
citizen's contribution (:mod:`anonymise.bounding`) and returns, per component,
its exact additive aggregate (:meth:`~anonymise.measures.base.MeasureKind.partial`):
counts, clamped sums in exact integer units, histogram bins, quantile candidate
counts. :class:`Partials` add up, so the totals of any partition of the
citizens into shards, computed in any order on any machine, are the same
integers; only the coordinator draws noise, once, on those totals.

:class:`Work` is what a shard task needs besides its records: picklable plain
values, no data and no keys.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import polars as pl

from anonymise.bounding import bounded
from anonymise.measures.base import KEY, Component
from anonymise.query_values import Query
from anonymise.sensitivity import ContributionBounds
from policies.catalog import DatasetSpec

Progress = Callable[[int, int], None]  # (done shards, total shards)


@dataclass(frozen=True, slots=True)
class Work:
    """The bounding and the components every shard computes for one release.

    ``salt`` seeds the keyed-random truncation order; it is fresh per release.
    """

    query: Query
    dataset: DatasetSpec
    bounds: ContributionBounds
    components: tuple[Component, ...]
    salt: int


@dataclass(frozen=True, slots=True)
class Partials:
    """Exact aggregates of some citizens: bounded record count and one array per component.

    ``rows`` is only compared with the public row bound, never released.
    """

    rows: int
    parts: tuple[np.ndarray, ...]

    def __add__(self, other: Partials) -> Partials:
        if len(self.parts) != len(other.parts):
            raise ValueError("partials of different releases cannot be added")
        return Partials(
            self.rows + other.rows,
            tuple(a + b for a, b in zip(self.parts, other.parts, strict=True)),
        )

    @classmethod
    def total(cls, partials: Iterable[Partials]) -> Partials:
        """The sum of at least one partial."""
        items = iter(partials)
        out = next(items)
        for item in items:
            out = out + item
        return out


def keyed(rows: pl.DataFrame, component: Component) -> pl.DataFrame:
    """The bounded rows with their key's position in ``component.keys`` (``KEY``).

    The keys are the public ones after filters, so every row has one; a row
    that had none would be dropped, never counted elsewhere.
    """
    if not component.group_by:
        return rows.with_columns(pl.lit(0, dtype=pl.Int64).alias(KEY))
    columns = {
        name: [key[i] for key in component.keys] for i, name in enumerate(component.group_by)
    }
    schema = {name: rows.schema[name] for name in component.group_by}
    positions = pl.DataFrame(columns, schema=schema).with_row_index(KEY).cast({KEY: pl.Int64})
    return rows.join(positions, on=list(component.group_by), how="inner")


def shard_partials(frame: pl.DataFrame, work: Work) -> Partials:
    """Bound one shard's records and aggregate them exactly, component by component."""
    rows = bounded(frame, work.query, work.dataset, work.bounds, work.salt)
    by_grouping: dict[tuple[str, ...], pl.DataFrame] = {}
    parts = []
    for component in work.components:
        if component.group_by not in by_grouping:
            by_grouping[component.group_by] = keyed(rows, component)
        parts.append(component.aggregation.partial(component, by_grouping[component.group_by]))
    return Partials(rows.height, tuple(parts))
