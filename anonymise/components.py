"""A query as noisy components: what gets noise, with which share of the privacy parameter.

Each measure becomes one or more *components* (:class:`~anonymise.measures.base.Component`),
each a separate OpenDP measurement; its kind (:mod:`anonymise.measures`) says
which. The privacy parameter (epsilon under pure DP, rho under zCDP) is split
without looking at data: measure i gets ``weight_i / sum(weights)`` of it
(weights default to 1), and its kind splits that share over its components (a
mean: half to its sum, half to its count; a quantile: evenly over its levels).

Losses add up (sequential composition), so the total never exceeds the budget.
Every share is shrunk by a factor ``1 - 1e-9`` so that OpenDP's float rounding
of the summed losses stays within it. Scales follow in closed form from the
sensitivity: ``scale = sensitivity / epsilon`` (Laplace), ``sensitivity /
sqrt(2 rho)`` (Gaussian) and ``sensitivity / sqrt(8 rho)`` for a quantile's
exponential mechanism in zCDP.

>>> from policies.catalog import load_catalog
>>> from anonymise.query_values import Measure, Query
>>> trips = load_catalog().datasets["trips"]
>>> query = Query("trips", "p", (Measure("count", "n"), Measure("mean", "m", "duration_min")))
>>> [(c.measure, c.role, round(c.share, 6)) for c in components(query, trips, ContributionBounds(20))]
[('n', 'count', 0.5), ('m', 'sum', 0.25), ('m', 'count', 0.25)]
"""

from __future__ import annotations

from anonymise.measures.base import DEFAULT_MAX_ROWS, Component, Setting
from anonymise.measures.registry import kind_of
from anonymise.query_values import Query
from anonymise.sensitivity import ContributionBounds
from policies.catalog import DatasetSpec


def components(
    query: Query,
    dataset: DatasetSpec,
    bounds: ContributionBounds,
    max_rows: int = DEFAULT_MAX_ROWS,
) -> list[Component]:
    """All components of a query, in measure order, with their shares."""
    setting = Setting.of(query, dataset, bounds, max_rows)
    total = sum(m.weight for m in query.measures)
    out: list[Component] = []
    for measure in query.measures:
        out.extend(kind_of(measure).components(measure, measure.weight / total, setting))
    return out
