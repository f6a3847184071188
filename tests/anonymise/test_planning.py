"""Planning without data: accuracy for an epsilon, and the smallest epsilon for an accuracy."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from anonymise.planning import UnreachableAccuracy, epsilon_for_accuracy, plan
from anonymise.query import Measure, Query
from policies.catalog import Catalog

ONE_MICRO = Decimal("0.000001")


def half_widths(query: Query, epsilon: Decimal, catalog: Catalog) -> dict[str, float | None]:
    return {m.name: m.half_width for m in plan(query, epsilon, catalog).measures}


@pytest.mark.parametrize(
    ("measures", "mechanism"),
    [
        ((Measure("count", "n", target_half_width=50.0),), "laplace"),
        ((Measure("sum", "s", "duration_min", target_half_width=4000.0),), "laplace"),
        ((Measure("count", "n", target_half_width=50.0),), "gaussian"),
        (
            (
                Measure("count", "n", target_half_width=100.0),
                Measure("mean", "m", "duration_min", target_half_width=5.0, expected_records=2000),
            ),
            "laplace",
        ),
    ],
)
def test_epsilon_for_accuracy_is_the_smallest_on_the_grid(
    catalog: Catalog, measures: tuple[Measure, ...], mechanism: str
) -> None:
    delta = Decimal("1e-6") if mechanism == "gaussian" else None
    query = Query("trips", "p", measures, ("district",), (), None, mechanism, delta)
    epsilon = epsilon_for_accuracy(query, None, catalog)
    targets = {m.name: m.target_half_width for m in measures}
    met = half_widths(query, epsilon, catalog)
    assert all(met[n] <= t for n, t in targets.items())  # type: ignore[operator]
    missed = half_widths(query, epsilon - ONE_MICRO, catalog)
    assert any(missed[n] > t for n, t in targets.items())  # type: ignore[operator]


def test_a_single_target_applies_to_every_count_and_sum(catalog: Catalog) -> None:
    query = Query("trips", "p", (Measure("count", "a"), Measure("count", "b", weight=3)), ("mode",))
    epsilon = epsilon_for_accuracy(query, 40.0, catalog)
    met = half_widths(query, epsilon, catalog)
    assert met["a"] <= 40.0 and met["b"] < met["a"]  # type: ignore[operator]


def test_unreachable_targets_are_refused(catalog: Catalog) -> None:
    query = Query("trips", "p", (Measure("count", "n", target_half_width=0.01),))
    with pytest.raises(UnreachableAccuracy):
        epsilon_for_accuracy(query, None, catalog)
    with pytest.raises(UnreachableAccuracy, match="unknown"):
        epsilon_for_accuracy(query, {"nope": 3.0}, catalog)


def test_a_plan_is_json_and_its_half_widths_shrink_as_one_over_epsilon(catalog: Catalog) -> None:
    query = Query(
        "trips", "p", (Measure("count", "n"), Measure("median", "q", "duration_min")), ("mode",)
    )
    small, large = plan(query, Decimal("0.5"), catalog), plan(query, Decimal("2"), catalog)
    json.dumps(small.as_dict())
    assert small.measures[0].half_width / large.measures[0].half_width == pytest.approx(4, rel=0.01)  # type: ignore[operator]
    assert small.measures[1].rank_error / large.measures[1].rank_error == pytest.approx(4)  # type: ignore[operator]
