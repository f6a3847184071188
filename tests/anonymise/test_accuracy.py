"""Half-widths match the closed forms and OpenDP's own summaries; mean intervals are sound."""

from __future__ import annotations

import math
from decimal import Decimal

import opendp.prelude as dp
import pytest

from anonymise.accuracy import (
    half_width,
    mean_interval,
    planned_mean_half_width,
    quantile_rank_error,
    scale_for_half_width,
)
from anonymise.planning import calibrate, total_budget
from anonymise.query import Measure, Query
from anonymise.sensitivity import ContributionBounds
from policies.catalog import Catalog


@pytest.mark.parametrize("scale", [0.5, 1.0, 20.0, 333.3])
def test_discrete_laplace_half_width_is_the_closed_form(scale: float) -> None:
    """P[|X| >= a] = 2 e^(-a/s) / (1 + e^(-1/s)) for integer noise; solve for alpha = 0.05."""
    closed = -scale * math.log(0.05 * (1 + math.exp(-1 / scale)) / 2)
    assert half_width("discrete_laplace", scale) == pytest.approx(closed, rel=1e-9)


@pytest.mark.parametrize("scale", [0.5, 1.0, 20.0, 333.3])
def test_continuous_half_widths_are_the_closed_forms(scale: float) -> None:
    assert half_width("laplace", scale) == pytest.approx(scale * math.log(1 / 0.05), rel=1e-9)
    assert half_width("gaussian", scale) == pytest.approx(scale * 1.959963984540054, rel=1e-9)


@pytest.mark.parametrize(
    "distribution", ["discrete_laplace", "laplace", "discrete_gaussian", "gaussian"]
)
def test_scale_for_half_width_inverts_half_width(distribution: str) -> None:
    scale = scale_for_half_width(distribution, 50.0)
    # the discrete Gaussian half-width is a whole number, so it can land one above
    assert half_width(distribution, scale) == pytest.approx(50.0, abs=1.0)


def test_half_widths_agree_with_opendp_accuracy(catalog: Catalog) -> None:
    query = Query(
        "trips",
        "p",
        (Measure("count", "n"), Measure("sum", "s", "duration_min")),
        ("mode",),
        (),
        Decimal(1),
    )
    accuracy = {
        "discrete_laplace": dp.discrete_laplacian_scale_to_accuracy,
        "laplace": dp.laplacian_scale_to_accuracy,
    }
    built = calibrate(query, total_budget(query, Decimal(1)), catalog, ContributionBounds(20))
    assert [c.component.distribution for c in built] == ["discrete_laplace", "laplace"]
    for c in built:
        expected = accuracy[c.component.distribution](c.scale, 0.05)
        assert half_width(c.component.distribution, c.scale) == pytest.approx(expected)


def test_mean_interval_contains_every_ratio_of_the_two_intervals() -> None:
    value, low, high = mean_interval(1200.0, 100.0, 40.0, 4.0, 0.0, 120.0)
    assert value == 30.0
    for s in (1100.0, 1200.0, 1300.0):
        for n in (36.0, 40.0, 44.0):
            assert low <= s / n <= high


def test_mean_interval_falls_back_to_the_bounds_when_the_count_may_be_zero() -> None:
    assert mean_interval(50.0, 100.0, 3.0, 5.0, 0.0, 120.0) == (60.0, 0.0, 120.0)
    assert mean_interval(50.0, 100.0, -2.0, 1.0, 0.0, 120.0) == (60.0, 0.0, 120.0)


def test_planned_mean_half_width_shrinks_with_group_size() -> None:
    small = planned_mean_half_width(100.0, 5.0, 50, 0.0, 120.0)
    large = planned_mean_half_width(100.0, 5.0, 5000, 0.0, 120.0)
    assert large < small < 60.0
    assert planned_mean_half_width(100.0, 5.0, 3, 0.0, 120.0) == 60.0


def test_quantile_rank_error_is_scale_log_candidates_over_alpha() -> None:
    assert quantile_rank_error(10.0, 101, 2) == pytest.approx(10.0 * math.log(101 / 0.05) / 2)
