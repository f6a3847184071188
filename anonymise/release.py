"""Run a release: exact totals from shards of citizens, then OpenDP noise, once.

The platform's ledger reserves ``epsilon`` (and ``delta`` for the Gaussian
mechanism) before calling :func:`release`; the engine computes every scale in
closed form, builds one OpenDP measurement per component, and refuses to run
(:class:`~anonymise.measurement.PrivacyCheckFailed`) unless the sum of OpenDP's
privacy maps fits in what was reserved. Only then is data touched: the shards
(:mod:`anonymise.partials`) bound their citizens and return exact partial
aggregates, the coordinator adds them up, runs each measurement once on the
totals, and post-processes the outputs (counts clamped at 0, means as
ratios, intervals attached), which cannot weaken the guarantee.

The data is either a frame of records (one shard, in this process) or a
:data:`Shards` callable, through which the platform runs the shard tasks
wherever it likes (in process, on a process pool, on Dask) and returns the
summed partials; ``progress(done, total)`` is handed to it.

Errors raised here never contain data: an empty frame gives a normal noisy
release. :class:`ReleaseFailed` keeps OpenDP's own error as its ``__cause__``
for the operator's eyes only, since it may quote values.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from decimal import Decimal

import numpy as np
import polars as pl

from anonymise.canonical import as_dict, query_hash
from anonymise.measurement import PrivacyCheckFailed, composed_loss
from anonymise.measures.base import DEFAULT_MAX_ROWS, Output
from anonymise.measures.registry import kind_of
from anonymise.partials import Partials, Progress, Work, shard_partials
from anonymise.planning import Calibrated, TotalBudget, calibrate, field_range, total_budget
from anonymise.privacy_loss import exceeds, rho_to_epsilon
from anonymise.query import Query
from anonymise.result import Cell, Noise, Release, Truncation
from anonymise.sensitivity import ContributionBounds
from policies.budget import Epsilon, Rho, ceil_units
from policies.catalog import Catalog, DatasetSpec


class ReleaseFailed(RuntimeError):
    """The release could not be computed; the message never carries data."""


Shards = Callable[[Work, Progress | None], Partials]


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
    data: pl.DataFrame | Shards,
    catalog: Catalog,
    epsilon: Decimal,
    *,
    bounds: ContributionBounds | None = None,
    max_rows: int = DEFAULT_MAX_ROWS,
    progress: Progress | None = None,
) -> Release:
    """Release ``query`` on ``data``, spending at most the reserved ``epsilon``.

    ``data`` is a frame with a ``citizen_id`` column and one column per catalog
    field used, or a :data:`Shards` callable returning the summed partials of
    every shard; either way holding only the records of citizens whose consent
    allows the purpose. ``bounds`` defaults to the catalog's; a policy may
    tighten them. ``max_rows`` is the public bound on bounded records within
    which sums stay exact.
    """
    dataset = catalog.datasets[query.dataset]
    bounds = bounds or ContributionBounds.for_dataset(dataset)
    budget = total_budget(query, epsilon)
    built = calibrate(query, budget, catalog, bounds, max_rows)
    spent, spent_rho = _spent(query, composed_loss([c.loss for c in built]), budget)
    work = Work(query, dataset, bounds, tuple(c.component for c in built), secrets.randbits(63))
    if isinstance(data, pl.DataFrame):
        totals = shard_partials(data, work)
        if progress is not None:
            progress(1, 1)
    else:
        totals = data(work, progress)
    if totals.rows > max_rows:
        raise ReleaseFailed("the dataset exceeds the engine's declared row limit")
    outputs = [_noisy(c, part) for c, part in zip(built, totals.parts, strict=True)]
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


def _noisy(calibrated: Calibrated, total: np.ndarray) -> Output:
    """Run the component's OpenDP measurement once on its totals."""
    component = calibrated.component
    try:
        values = component.aggregation.noisy(component, calibrated.measurement, total)
    except Exception as exc:
        raise ReleaseFailed("OpenDP could not compute the release") from exc
    if len(values) != component.n_keys or any(v is None for v in values):
        raise ReleaseFailed("OpenDP returned an incomplete release")
    return Output(component, values, calibrated.scale)


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
