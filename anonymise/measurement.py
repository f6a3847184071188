"""OpenDP measurements for components: identifier truncation, aggregation, noise.

Every release builds *fresh* measurements with ``make_private_lazyframe`` (never
a long-lived ``Context``: its budget lives only in memory and its scale search
takes about a second per query, while building with a known scale takes
milliseconds). The privacy unit is one ``citizen_id`` (``SymmetricIdDistance``,
one identifier added or removed). The plan truncates with filters that OpenDP
recognises and charges for:

- ``int_range(len).shuffle().over(citizen_id) < M``: at most M records per
  citizen, a uniform sample of them (OpenDP's ``keep="sample"`` for rows);
- ``int_range(len).shuffle().over(citizen_id, *group_by) < r``: r per group;
- ``struct(*group_by).rank("dense").over(citizen_id) <= k``: at most k groups,
  charged by OpenDP as k + 1. We write this filter ourselves because
  ``truncate_num_groups(k)`` writes ``< k`` (keeps k - 1, charges k) and its
  ``keep="sample"`` crashes in 0.16.0 with polars 1.36.1; the unbiased choice of
  which k groups a citizen keeps is made before, per citizen, in plain Polars
  (:mod:`anonymise.preparation`), so this filter only certifies the bound.

Public keys come in through a left join of the full key set onto the aggregate
(``with_keys``), so every group is released, empty or not. Float sums need a
declared maximum row count (``max_length``) for OpenDP's rounding analysis; it
is a public constant, never the data's length.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import opendp.prelude as dp
import polars as pl

from anonymise.measures.base import Component
from anonymise.sensitivity import ContributionBounds

dp.enable_features("contrib")

CITIZEN = "citizen_id"
DEFAULT_MAX_ROWS = 10_000_000
RECALIBRATIONS = 4


class PrivacyCheckFailed(RuntimeError):
    """OpenDP's privacy map exceeds the budget: the release must not run."""


def privacy_unit() -> tuple[Any, Any]:
    """(metric, d_in): all records of one citizen, identified by ``citizen_id``."""
    metric, d_in = dp.unit_of(contributions=[dp.polars.Bound(per_group=1)], identifier=CITIZEN)
    return metric, d_in


def output_measure(mechanism: str) -> Any:
    """Pure DP for Laplace noise, zero-concentrated DP for Gaussian noise."""
    return dp.max_divergence() if mechanism == "laplace" else dp.zero_concentrated_divergence()


def input_domain(schema: pl.Schema, max_rows: int) -> Any:
    """The LazyFrame domain of a prepared frame, with the public row bound."""
    series = []
    for name, dtype in schema.items():
        if dtype == pl.Float64:
            atom = dp.atom_domain(T=float, nan=False)
        elif dtype == pl.Int64:
            atom = dp.atom_domain(T="i64")
        elif dtype == pl.String:
            atom = dp.atom_domain(T=str)
        else:
            raise TypeError(f"column {name!r} has unsupported type {dtype}")
        series.append(dp.series_domain(name, atom))
    domain = dp.lazyframe_domain(series)
    return dp.with_margin(domain, dp.polars.Margin(by=[], max_length=max_rows))


def _truncated(
    plan: pl.LazyFrame, component: Component, bounds: ContributionBounds, group_by: Sequence[str]
) -> pl.LazyFrame:
    plan = plan.filter(pl.int_range(pl.len()).shuffle().over(CITIZEN) < bounds.records_per_citizen)
    if group_by and bounds.records_per_group is not None:
        per_group = pl.int_range(pl.len()).shuffle().over(CITIZEN, *group_by)
        plan = plan.filter(per_group < bounds.records_per_group)
    if group_by and bounds.groups_per_citizen is not None:
        ranks = pl.struct(*group_by).rank("dense").over(CITIZEN)
        plan = plan.filter(ranks <= bounds.groups_per_citizen)
    if component.aggregation.one_per_group:
        plan = plan.filter(pl.int_range(pl.len()).over(CITIZEN, *component.group_by) < 1)
    return plan


def lazy_plan(
    component: Component,
    schema: pl.Schema,
    bounds: ContributionBounds,
    query_group_by: Sequence[str],
    scale: float,
    field_bounds: tuple[float, float] = (0.0, 0.0),
) -> pl.LazyFrame:
    """The Polars plan of one component (no data; OpenDP reads its structure)."""
    plan = _truncated(pl.LazyFrame(schema=schema), component, bounds, query_group_by)
    integer = component.field is not None and schema.get(component.field) == pl.Int64
    agg = component.aggregation.expression(component, scale, integer, *field_bounds)
    if not component.group_by:
        return plan.select(agg)
    columns = {
        name: [key[i] for key in component.keys] for i, name in enumerate(component.group_by)
    }
    keys = pl.LazyFrame(columns, schema={name: schema[name] for name in component.group_by})
    aggregated = plan.group_by(*component.group_by).agg(agg)
    return keys.join(aggregated, on=list(component.group_by), how="left", nulls_equal=True)


def calibrated(
    domain: Any,
    mechanism: str,
    make_plan: Any,
    scale: float,
    parameter: float,
) -> tuple[Any, float]:
    """Build the measurement at ``scale`` and check OpenDP's privacy map against ``parameter``.

    ``parameter`` is the epsilon (pure DP) or rho (zCDP) the measurement may use.

    The closed-form scale can be a hair too small where OpenDP adds float
    rounding slack (float sums); the loss is proportional to 1 / scale (or its
    square), so the scale is raised by the observed ratio and checked again.
    """
    metric, d_in = privacy_unit()
    for _ in range(RECALIBRATIONS):
        measurement = dp.m.make_private_lazyframe(
            domain, metric, output_measure(mechanism), make_plan(scale)
        )
        loss = measurement.map(d_in)
        if loss <= parameter:
            return measurement, scale
        ratio = loss / parameter
        scale *= (ratio if mechanism == "laplace" else ratio**0.5) * (1 + 1e-12)
    raise PrivacyCheckFailed("could not bring the measurement within its budget")


def build(
    component: Component,
    schema: pl.Schema,
    bounds: ContributionBounds,
    query_group_by: Sequence[str],
    mechanism: str,
    parameter: float,
    field_bounds: tuple[float, float],
    max_rows: int,
) -> tuple[Any, float]:
    """A fresh, checked measurement of ``component`` within ``parameter``, and its scale."""

    def make_plan(scale: float) -> pl.LazyFrame:
        return lazy_plan(component, schema, bounds, query_group_by, scale, field_bounds)

    domain = input_domain(schema, max_rows)
    return calibrated(
        domain, mechanism, make_plan, component.scale(parameter, mechanism), parameter
    )


def composed_loss(measurements: Sequence[Any]) -> float:
    """OpenDP's privacy map of the sequential composition of all measurements.

    The composition is built only for its map: invoking it and collecting the
    resulting ``OnceFrame`` objects crashes the interpreter in 0.16.0, so each
    measurement is invoked on its own (the same composition, run in sequence).
    """
    _, d_in = privacy_unit()
    return float(dp.c.make_composition(list(measurements)).map(d_in))


def invoke(measurement: Any, frame: pl.DataFrame) -> pl.DataFrame:
    """Run one measurement on the prepared frame and collect its release."""
    released: pl.DataFrame = measurement(frame.lazy()).collect()
    return released
