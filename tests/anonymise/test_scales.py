"""Closed-form noise scales agree with OpenDP's privacy maps, which never exceed the budget."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from anonymise.measurement import composed_loss
from anonymise.planning import calibrate, total_budget
from anonymise.privacy_loss import epsilon_to_rho, exceeds
from anonymise.query import Filter, Measure, Query
from anonymise.sensitivity import ContributionBounds
from policies.catalog import Catalog

DURATION = "duration_min"
SHAPES: dict[str, dict[str, Any]] = {
    "count-ungrouped": {"measures": (Measure("count", "n"),)},
    "count-by-mode": {"measures": (Measure("count", "n"),), "group_by": ("mode",)},
    "everything-by-district-month": {
        "measures": (
            Measure("count", "n"),
            Measure("distinct_citizens", "d"),
            Measure("sum", "s", DURATION, weight=2),
            Measure("mean", "m", DURATION),
            Measure("histogram", "h", DURATION, bins=(0, 15, 30, 60, 120)),
            Measure("quantile", "q", DURATION, quantiles=(0.25, 0.5, 0.75)),
        ),
        "group_by": ("district", "month"),
        "filters": (Filter("month", (), ("2025-01", "2025-06")),),
    },
    "per-group-and-group-count-bounds": {
        "measures": (
            Measure("count", "n"),
            Measure("sum", "s", DURATION),
            Measure("median", "md", DURATION),
        ),
        "group_by": ("district",),
        "bounds": ContributionBounds(20, 3, 2),
    },
    "integer-field": {
        "dataset": "library_loans",
        "measures": (Measure("sum", "s", "loan_days"), Measure("median", "md", "loan_days")),
        "group_by": ("category",),
    },
    "histogram-with-bounds": {
        "measures": (Measure("histogram", "h", DURATION, bins=(0, 60, 120)),),
        "group_by": ("mode",),
        "bounds": ContributionBounds(20, 4, 1),
    },
}


def make(shape: dict[str, Any], mechanism: str = "laplace") -> Query:
    return Query(
        shape.get("dataset", "trips"),
        "transport-planning",
        shape["measures"],
        shape.get("group_by", ()),
        shape.get("filters", ()),
        Decimal("1"),
        mechanism,
        Decimal("1e-6") if mechanism == "gaussian" else None,
    )


def bounds_of(shape: dict[str, Any], catalog: Catalog) -> ContributionBounds:
    return shape.get("bounds") or ContributionBounds.for_dataset(
        catalog.datasets[shape.get("dataset", "trips")]
    )


@pytest.mark.parametrize("mechanism", ["laplace", "gaussian"])
@pytest.mark.parametrize("name", sorted(SHAPES))
@pytest.mark.parametrize("epsilon", ["0.05", "1", "7.5"])
def test_privacy_map_never_exceeds_the_budget(
    catalog: Catalog, name: str, mechanism: str, epsilon: str
) -> None:
    shape = SHAPES[name]
    query = make(shape, mechanism)
    budget = Decimal(epsilon)
    built = calibrate(query, total_budget(query, budget), catalog, bounds_of(shape, catalog))
    loss = composed_loss([c.loss for c in built])
    limit = budget if mechanism == "laplace" else epsilon_to_rho(budget, query.delta)  # type: ignore[arg-type]
    assert not exceeds(loss, limit)
    assert loss > float(limit) * 0.999  # and the budget is used, not wasted


@pytest.mark.parametrize("mechanism", ["laplace", "gaussian"])
@pytest.mark.parametrize("name", sorted(SHAPES))
def test_scales_are_the_closed_forms(catalog: Catalog, name: str, mechanism: str) -> None:
    """OpenDP's maps on exact totals agree with the closed forms: no rounding slack at all."""
    shape = SHAPES[name]
    for c in calibrate(
        make(shape, mechanism),
        total_budget(make(shape, mechanism), Decimal("1")),
        catalog,
        bounds_of(shape, catalog),
    ):
        closed = c.component.scale(c.parameter, mechanism)
        assert c.scale == pytest.approx(closed, rel=1e-9)


def test_laplace_scale_is_sensitivity_over_epsilon(catalog: Catalog) -> None:
    """trips: 20 records per citizen, durations in [0, 120]; epsilon 0.5 split over two measures."""
    query = Query(
        "trips",
        "p",
        (Measure("count", "n"), Measure("sum", "s", DURATION)),
        ("mode",),
        (),
        Decimal("0.5"),
    )
    count, total = calibrate(
        query, total_budget(query, Decimal("0.5")), catalog, ContributionBounds(20)
    )
    assert count.scale == pytest.approx(20 / 0.25, rel=1e-8)
    assert total.scale == pytest.approx(20 * 120 / 0.25, rel=1e-8)


def test_gaussian_scale_is_l2_sensitivity_over_root_two_rho(catalog: Catalog) -> None:
    query = Query(
        "trips",
        "p",
        (Measure("count", "n"),),
        ("mode",),
        (),
        Decimal("1"),
        "gaussian",
        Decimal("1e-6"),
    )
    (count,) = calibrate(
        query, total_budget(query, Decimal("1")), catalog, ContributionBounds(20, 2, 2)
    )
    rho = float(epsilon_to_rho(Decimal("1"), Decimal("1e-6")))
    l2 = (2**0.5) * 2  # 2 groups kept, 2 records each
    assert count.scale == pytest.approx(l2 / (2 * rho) ** 0.5, rel=1e-8)
