"""Run a release: fresh OpenDP measurements, checked against the reserved budget.

The platform's ledger reserves ``epsilon`` (and ``delta`` for the Gaussian
mechanism) before calling :func:`release`; the engine computes every scale in
closed form, builds one measurement per component, and refuses to run
(:class:`~anonymise.measurement.PrivacyCheckFailed`) unless OpenDP's privacy map
of their composition fits in what was reserved. Then each measurement runs once
on the prepared frame and the outputs are post-processed (counts clamped at 0,
means as ratios, intervals attached), which cannot weaken the guarantee.

Errors raised here never contain data: an empty frame gives a normal noisy
release. :class:`ReleaseFailed` keeps OpenDP's own error as its ``__cause__``
for the operator's eyes only, since it may quote values.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import polars as pl

from anonymise.canonical import as_dict, query_hash
from anonymise.measurement import DEFAULT_MAX_ROWS, PrivacyCheckFailed, composed_loss, invoke
from anonymise.measures.base import VALUE, Component, Output
from anonymise.measures.registry import kind_of
from anonymise.planning import TotalBudget, calibrate, field_range, total_budget
from anonymise.preparation import prepare
from anonymise.privacy_loss import exceeds, rho_to_epsilon
from anonymise.query import Query
from anonymise.result import Cell, Noise, Release, Truncation
from anonymise.sensitivity import ContributionBounds
from policies.budget import Epsilon, Rho, ceil_units
from policies.catalog import Catalog, DatasetSpec


class ReleaseFailed(RuntimeError):
    """The release could not be computed; the message never carries data."""


def _values(component: Component, output: pl.DataFrame) -> list[Any]:
    """Released values in the component's key order (every key must be present)."""
    if not component.group_by:
        values = [output[VALUE][0]] if output.height == 1 else [None]
    else:
        rows = output.select(*component.group_by, VALUE).iter_rows()
        found = {tuple(row[:-1]): row[-1] for row in rows}
        values = [found.get(key) for key in component.keys]
    if any(v is None for v in values):
        raise ReleaseFailed("OpenDP returned an incomplete release")
    return values


def _cells(query: Query, dataset: DatasetSpec, outputs: list[Output]) -> list[Cell]:
    cells: list[Cell] = []
    for measure in query.measures:
        mine = [o for o in outputs if o.component.measure == measure.name]
        low, high = field_range(dataset, measure.field)
        cells += kind_of(measure).cells(measure, mine, query.group_by, low, high)
    return cells


def _truncation(query: Query, dataset: DatasetSpec, bounds: ContributionBounds) -> Truncation:
    numeric = {m.field for m in query.measures if m.field}
    return Truncation(
        records_per_citizen=bounds.records_per_citizen,
        catalog_max_records=dataset.max_records_per_citizen,
        records_per_group=bounds.records_per_group,
        groups_per_citizen=bounds.groups_per_citizen,
        worst_case_kept=bounds.records_per_citizen / dataset.max_records_per_citizen,
        clamped_to={name: field_range(dataset, name) for name in sorted(numeric)},
    )


def release(
    query: Query,
    frame: pl.DataFrame,
    catalog: Catalog,
    epsilon: Decimal,
    *,
    bounds: ContributionBounds | None = None,
    max_rows: int = DEFAULT_MAX_ROWS,
) -> Release:
    """Release ``query`` on ``frame``, spending at most the reserved ``epsilon``.

    ``frame`` has a ``citizen_id`` column and one column per catalog field used,
    holding only the records of citizens whose consent allows the purpose.
    ``bounds`` defaults to the catalog's; a policy may tighten them.
    ``max_rows`` is the public bound OpenDP's float-sum analysis relies on.
    """
    dataset = catalog.datasets[query.dataset]
    bounds = bounds or ContributionBounds.for_dataset(dataset)
    budget = total_budget(query, epsilon)
    prepared = prepare(frame, query, dataset, bounds)
    if prepared.height > max_rows:
        raise ReleaseFailed("the dataset exceeds the engine's declared row limit")
    built = calibrate(query, budget, catalog, bounds, max_rows)
    loss = composed_loss([c.measurement for c in built])
    spent, spent_rho = _spent(query, loss, budget)
    outputs = []
    for c in built:
        try:
            collected = invoke(c.measurement, prepared)
        except Exception as exc:
            raise ReleaseFailed("OpenDP could not compute the release") from exc
        outputs.append(Output(c.component, _values(c.component, collected), c.scale))
    return Release(
        query=as_dict(query),
        query_hash=query_hash(query),
        mechanism=query.mechanism,
        epsilon=spent,
        delta=query.delta,
        rho=spent_rho,
        noise=tuple(
            Noise(
                c.component.measure,
                c.component.role,
                c.component.level,
                c.component.distribution,
                c.scale,
                c.parameter,
            )
            for c in built
        ),
        cells=tuple(_cells(query, dataset, outputs)),
        truncation=_truncation(query, dataset, bounds),
    )


def _spent(query: Query, loss: float, budget: TotalBudget) -> tuple[Epsilon, Rho | None]:
    """The loss to report, after checking it against the reservation (or refusing)."""
    epsilon, rho = budget.epsilon, budget.rho
    if rho is None or query.delta is None:
        if exceeds(loss, epsilon):
            raise PrivacyCheckFailed("the measurement's privacy loss exceeds the reserved epsilon")
        return Epsilon(ceil_units(loss)), None
    if exceeds(loss, rho):
        raise PrivacyCheckFailed("the measurement's zCDP loss exceeds the reserved budget")
    spent_rho = Rho(Decimal(loss))
    spent = rho_to_epsilon(spent_rho, query.delta)
    if spent > epsilon:
        raise PrivacyCheckFailed("the converted (epsilon, delta) exceeds the reservation")
    return spent, spent_rho
