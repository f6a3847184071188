"""A query as noisy components: what gets noise, with which share of the budget.

Each measure becomes one or more *components*, each a separate OpenDP
measurement: a count, a distinct-citizen count, a sum, a histogram (a count over
the query's groups times the bins) or one quantile level. The budget is split
without looking at data:

- measure i gets ``weight_i / sum(weights)`` of the total (weights default to 1);
- a mean is a sum and a count, each with half of its measure's share;
- a quantile measure splits its share evenly over its levels.

Pure DP splits epsilon, zCDP splits rho; losses add up (sequential composition),
so the total never exceeds the budget. Every share is shrunk by a factor
``1 - 1e-9`` so that OpenDP's float rounding of the summed losses stays within it.
Scales follow in closed form from the sensitivity: ``scale = sensitivity /
epsilon`` (Laplace), ``sensitivity / sqrt(2 rho)`` (Gaussian) and
``sensitivity / sqrt(8 rho)`` for a quantile's exponential mechanism in zCDP.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import pairwise, product

from anonymise.query import Measure, Query, allowed_keys
from anonymise.sensitivity import (
    ContributionBounds,
    quantile_step,
    spread,
    value_magnitude,
)
from policies.catalog import DatasetSpec, FieldSpec

BIN_PREFIX = "__bin_"
SAFETY = 1 - 1e-9
QUANTILE_CANDIDATES = 101


@dataclass(frozen=True, slots=True)
class Component:
    """One noisy aggregate; ``sensitivity`` is in the unit its scale formula needs."""

    measure: str
    role: str
    field: str | None
    level: float | None
    group_by: tuple[str, ...]
    keys: tuple[tuple[str | int, ...], ...]
    share: float
    sensitivity: float
    distribution: str
    bins: tuple[float, ...] = ()
    candidates: tuple[float, ...] = ()

    def scale(self, budget: float, mechanism: str) -> float:
        """Closed-form noise scale for this component's budget (epsilon or rho)."""
        if mechanism == "laplace":
            return self.sensitivity / budget
        factor = 8.0 if self.role == "quantile" else 2.0
        return self.sensitivity / math.sqrt(factor * budget)

    def loss(self, scale: float, mechanism: str) -> float:
        """Inverse of :meth:`scale`: the budget a given scale uses."""
        if mechanism == "laplace":
            return self.sensitivity / scale
        factor = 8.0 if self.role == "quantile" else 2.0
        return (self.sensitivity / scale) ** 2 / factor


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


def quantile_candidates(spec: FieldSpec) -> tuple[float, ...]:
    """Public candidate values: every integer of a small integer range, else a grid."""
    low, high = float(spec.low), float(spec.high)  # type: ignore[arg-type]
    if spec.type == "integer" and high - low < QUANTILE_CANDIDATES:
        return tuple(float(v) for v in range(int(low), int(high) + 1))
    step = (high - low) / (QUANTILE_CANDIDATES - 1)
    return (*(low + i * step for i in range(QUANTILE_CANDIDATES - 1)), high)


def group_keys(query: Query, dataset: DatasetSpec) -> tuple[tuple[str | int, ...], ...]:
    """Every combination of the group-by fields' public keys (after filters)."""
    per_field = [allowed_keys(dataset.fields[name], query.filters) for name in query.group_by]
    return tuple(product(*per_field))


def _distribution(role: str, spec: FieldSpec | None, mechanism: str) -> str:
    if role == "quantile":
        return "exponential_min" if mechanism == "laplace" else "gumbel_min"
    discrete = role != "sum" or (spec is not None and spec.type == "integer")
    base = "laplace" if mechanism == "laplace" else "gaussian"
    return f"discrete_{base}" if discrete else base


def _measure_components(
    measure: Measure,
    share: float,
    query: Query,
    dataset: DatasetSpec,
    bounds: ContributionBounds,
) -> list[Component]:
    keys = group_keys(query, dataset)
    grouped = bool(query.group_by)
    if not grouped:  # per-group and group-count bounds only apply to a grouping
        bounds = ContributionBounds(bounds.records_per_citizen)
    spec = dataset.fields[measure.field] if measure.field else None
    pure = query.mechanism == "laplace"

    def make(
        role: str,
        part: float,
        *,
        comp_keys: tuple[tuple[str | int, ...], ...] = keys,
        by: tuple[str, ...] = query.group_by,
        bins: tuple[float, ...] = (),
        level: float | None = None,
    ) -> Component:
        s = spread(
            bounds,
            len(comp_keys),
            bounded_groups=grouped and by == query.group_by,
            distinct=role == "distinct",
        )
        if role == "quantile" and level is not None:
            groups = s.l0 if pure else math.sqrt(s.l0)  # groups compose in epsilon or in rho
            sensitivity = 2.0 * quantile_step(level) * s.linf * groups
        else:
            sensitivity = float(s.l1) if pure else s.l2
        if role == "sum" and spec is not None:
            sensitivity *= value_magnitude(float(spec.low or 0), float(spec.high or 0))
        return Component(
            measure=measure.name,
            role=role,
            field=measure.field,
            level=level,
            group_by=by,
            keys=comp_keys,
            share=share * part * SAFETY,
            sensitivity=sensitivity,
            distribution=_distribution(role, spec, query.mechanism),
            bins=bins,
            candidates=quantile_candidates(spec) if role == "quantile" and spec else (),
        )

    kind = measure.kind
    if kind == "count":
        return [make("count", 1.0)]
    if kind == "distinct_citizens":
        return [make("distinct", 1.0)]
    if kind == "sum":
        return [make("sum", 1.0)]
    if kind == "mean":
        return [make("sum", 0.5), make("count", 0.5)]
    if kind == "histogram":
        labels = bin_labels(measure.bins)
        return [
            make(
                "histogram",
                1.0,
                comp_keys=tuple((*k, label) for k in keys for label in labels),
                by=(*query.group_by, bin_column(measure.name)),
                bins=measure.bins,
            )
        ]
    levels = (0.5,) if kind == "median" else measure.quantiles
    return [make("quantile", 1.0 / len(levels), level=level) for level in levels]


def components(query: Query, dataset: DatasetSpec, bounds: ContributionBounds) -> list[Component]:
    """All components of a query, in measure order, with their budget shares."""
    total = sum(m.weight for m in query.measures)
    out: list[Component] = []
    for measure in query.measures:
        out.extend(_measure_components(measure, measure.weight / total, query, dataset, bounds))
    return out
