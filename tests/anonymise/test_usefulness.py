"""The usefulness warning rule and the epsilon split, judged from the catalog alone."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest

from anonymise.planning import plan
from anonymise.query_values import Filter, Measure, Query
from anonymise.usefulness import expected_per_group, judge
from policies.catalog import Catalog, ExpectedSize, load_catalog

COUNT = Measure("count", "trips")
MEAN = Measure("mean", "mean_duration_min", "duration_min")
MARCH = Filter("month", (), ("2025-03", "2025-03"))


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def _sized(catalog: Catalog, records: int, citizens: int | None = None) -> Catalog:
    """The catalog with trips declaring ``records`` (and ``citizens``) per month."""
    trips = dataclasses.replace(
        catalog.datasets["trips"], expected_size=ExpectedSize(records, citizens, "month")
    )
    return dataclasses.replace(catalog, datasets={**catalog.datasets, "trips": trips})


def _query(*measures: Measure, epsilon: str = "0.5", **extra: object) -> Query:
    fields: dict[str, object] = {"group_by": ("district",), "filters": (MARCH,), **extra}
    return Query("trips", "transport-planning", measures, epsilon=Decimal(epsilon), **fields)  # type: ignore[arg-type]


def test_the_issues_case_warns_on_both_measures(catalog: Catalog) -> None:
    """Count and mean trip duration by district for one month at epsilon 0.5 (3,000 citizens)."""
    judged = judge(_query(COUNT, MEAN), catalog)
    count, mean = judged.measures
    assert judged.expected is not None and judged.expected.records == pytest.approx(200)
    assert count.reason == "value" and count.half_width is not None and count.half_width > 200
    assert mean.reason == "range" and mean.half_width == pytest.approx(60)  # all of 0-120
    assert {m.name for m in judged.warnings} == {"trips", "mean_duration_min"}


@pytest.mark.parametrize(("factor", "warned"), [(0.99, True), (1.01, False)])
def test_a_count_warns_exactly_when_its_half_width_reaches_the_likely_value(
    catalog: Catalog, factor: float, warned: bool
) -> None:
    half_width = plan(_query(COUNT), Decimal("0.5"), catalog).measures[0].half_width
    assert half_width is not None
    sized = _sized(catalog, round(half_width * 8 * factor))  # eight districts share the month
    (judged,) = judge(_query(COUNT), sized).measures
    assert judged.swamped is warned
    assert (judged.likely or 0) == pytest.approx(half_width * factor, rel=0.01)


def test_a_mean_warns_when_its_interval_covers_the_whole_range_only(catalog: Catalog) -> None:
    small = judge(_query(MEAN), _sized(catalog, 1600)).measures[0]
    big = judge(_query(MEAN), _sized(catalog, 10_000_000)).measures[0]
    assert small.reason == "range"
    assert big.reason is None and big.half_width is not None and big.half_width < 60


def test_a_quantile_warns_when_its_rank_error_reaches_the_groups_edge(catalog: Catalog) -> None:
    median = Measure("median", "median_duration_min", "duration_min")
    small = judge(_query(median), catalog).measures[0]
    big = judge(_query(median), _sized(catalog, 10_000_000)).measures[0]
    assert small.reason == "range" and small.rank_error is not None
    assert big.reason is None


def test_without_a_declared_size_nothing_is_judged(catalog: Catalog) -> None:
    trips = dataclasses.replace(catalog.datasets["trips"], expected_size=None)
    bare = dataclasses.replace(catalog, datasets={**catalog.datasets, "trips": trips})
    judged = judge(_query(COUNT, MEAN), bare)
    assert judged.expected is None and not judged.warnings and judged.useful_epsilon is None


def test_the_declared_size_is_spread_over_groups_filters_and_months(catalog: Catalog) -> None:
    trips = _sized(catalog, 1000, 400).datasets["trips"]
    quarter = Filter("month", (), ("2025-01", "2025-03"))
    two_modes = Filter("mode", ("bus", "tram"))
    cases = [
        (Query("trips", "p", (COUNT,), (), (quarter,)), 3000),  # three months, one group
        (Query("trips", "p", (COUNT,), ("district",), (quarter,)), 3000 / 8),
        (Query("trips", "p", (COUNT,), ("month",), (quarter,)), 1000),  # one month a group
        (Query("trips", "p", (COUNT,), ("mode",), (quarter, two_modes)), 3000 / 5),
        (Query("trips", "p", (COUNT,), (), (quarter, two_modes)), 3000 * 2 / 5),
    ]
    for query, records in cases:
        expected = expected_per_group(query, trips)
        assert expected is not None
        assert expected.records == pytest.approx(records), query
        assert expected.citizens == pytest.approx(records * 0.4), query


def test_the_suggested_epsilon_reaches_the_chosen_accuracy_and_no_less_does(
    catalog: Catalog,
) -> None:
    sized = _sized(catalog, 4000)  # 500 a district: useless at 0.1, useful with more
    judged = judge(_query(COUNT, epsilon="0.1"), sized, accuracy=0.25)
    assert judged.warnings and judged.useful_epsilon is not None
    target = 0.25 * 500
    at = plan(_query(COUNT), judged.useful_epsilon, sized).measures[0].half_width
    below = plan(_query(COUNT), judged.useful_epsilon - Decimal("0.001"), sized)
    assert at is not None and at <= target
    assert (below.measures[0].half_width or 0) > target
    assert not judge(_query(COUNT, epsilon=str(judged.useful_epsilon)), sized).warnings


def test_an_accuracy_no_epsilon_reaches_is_said_so(catalog: Catalog) -> None:
    judged = judge(_query(COUNT, MEAN), catalog, accuracy=0.1)
    assert judged.unreachable and judged.useful_epsilon is None


def test_the_epsilon_is_split_by_weight_and_each_share_plans_as_alone(catalog: Catalog) -> None:
    light = dataclasses.replace(COUNT, name="light")
    heavy = dataclasses.replace(COUNT, name="heavy", weight=3)
    judged = judge(_query(light, heavy, epsilon="0.4"), catalog)
    shares = {m.name: (m.share, m.epsilon) for m in judged.measures}
    assert shares == {"light": (0.25, Decimal("0.1")), "heavy": (0.75, Decimal("0.3"))}
    for name, epsilon in (("light", "0.1"), ("heavy", "0.3")):
        alone = plan(_query(COUNT), Decimal(epsilon), catalog).measures[0].half_width
        split = next(m.half_width for m in judged.measures if m.name == name)
        assert split == pytest.approx(alone, rel=1e-6)
