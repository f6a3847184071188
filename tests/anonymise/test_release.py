"""Releases: bounded contributions, consent withdrawal, every key, accuracy, refusal."""

from __future__ import annotations

import json
from decimal import Decimal
from itertools import product

import polars as pl
import pytest

from anonymise.canonical import query_hash
from anonymise.measurement import PrivacyCheckFailed
from anonymise.measures import base as measures_base
from anonymise.planning import plan
from anonymise.privacy_loss import epsilon_to_rho
from anonymise.query import Filter, Measure, Query
from anonymise.release import ReleaseFailed, release
from anonymise.result import Release
from anonymise.sensitivity import ContributionBounds
from policies.catalog import Catalog
from tests.anonymise.frames import citizens, trips

HUGE = Decimal(100_000)  # noise scale 20 / 1e5: the release is exact in practice
COUNT = (Measure("count", "n"),)


def values(result: Release, measure: str) -> dict[tuple[object, ...], float]:
    return {(*c.group.values(), c.bin): c.value for c in result.cells if c.measure == measure}


def count_of(frame: pl.DataFrame, catalog: Catalog, **kwargs: object) -> float:
    query = Query("trips", "transport-planning", COUNT, (), (), HUGE)
    (cell,) = release(query, frame, catalog, HUGE, **kwargs).cells  # type: ignore[arg-type]
    return cell.value


def test_one_citizen_with_ten_thousand_records_moves_a_count_by_the_bound(catalog: Catalog) -> None:
    others = trips(citizens(50, records_each=3))
    heavy = pl.concat([others, trips(citizens(1, records_each=10_000, prefix="heavy"))])
    assert count_of(others, catalog) == 150
    assert count_of(heavy, catalog) == 150 + 20  # the catalog's 20 records per citizen
    bounded = count_of(heavy, catalog, bounds=ContributionBounds(5))
    assert bounded == 150 + 5


def test_a_withdrawn_citizen_stops_contributing(catalog: Catalog) -> None:
    everyone = trips(
        citizens(6, records_each=2) + [{"citizen_id": "withdrawn", "mode": "ferry"}] * 3
    )
    consenting = everyone.filter(pl.col("citizen_id") != "withdrawn")
    query = Query(
        "trips",
        "transport-planning",
        (Measure("count", "n"), Measure("distinct_citizens", "d")),
        ("mode",),
        (),
        HUGE,
    )
    before = values(release(query, everyone, catalog, HUGE), "d")
    after = values(release(query, consenting, catalog, HUGE), "d")
    assert before[("ferry", None)] == 1 and after[("ferry", None)] == 0
    assert before[("bus", None)] == after[("bus", None)] == 6
    counts_after = values(release(query, consenting, catalog, HUGE), "n")
    assert counts_after[("ferry", None)] == 0 and counts_after[("bus", None)] == 12


def test_every_key_combination_is_released_even_when_empty(catalog: Catalog) -> None:
    query = Query(
        "trips",
        "transport-planning",
        (Measure("count", "n"), Measure("histogram", "h", "duration_min", bins=(0, 30, 120))),
        ("mode", "month"),
        (Filter("month", (), ("2025-01", "2025-03")),),
        Decimal(1),
    )
    result = release(query, trips(citizens(10)), catalog, Decimal(1))
    modes = catalog.datasets["trips"].fields["mode"].domain
    months = ("2025-01", "2025-02", "2025-03")
    assert set(values(result, "n")) == {(m, t, None) for m, t in product(modes, months)}
    assert len(values(result, "h")) == len(modes) * len(months) * 2


def test_an_empty_dataset_gives_a_normal_noisy_release(catalog: Catalog) -> None:
    query = Query(
        "trips",
        "transport-planning",
        (
            Measure("count", "n"),
            Measure("mean", "m", "duration_min"),
            Measure("median", "q", "duration_min"),
        ),
        ("district",),
        (),
        Decimal(1),
    )
    result = release(query, trips([]), catalog, Decimal(1))
    assert len(result.cells) == 3 * 8
    assert all(c.value is not None for c in result.cells)
    json.loads(result.to_json())


def test_values_are_right_at_a_huge_epsilon(catalog: Catalog) -> None:
    rows = [
        {"citizen_id": f"c{i}", "duration_min": float(d)}
        for i, d in enumerate([5, 10, 20, 40, 100, 200])
    ]
    query = Query(
        "trips",
        "transport-planning",
        (
            Measure("sum", "s", "duration_min"),
            Measure("mean", "m", "duration_min"),
            Measure("histogram", "h", "duration_min", bins=(0, 15, 60, 120)),
            Measure("median", "q", "duration_min"),
        ),
        (),
        (),
        HUGE,
    )
    result = release(query, trips(rows), catalog, HUGE)
    assert values(result, "s")[(None,)] == pytest.approx(295.0, abs=0.5)  # 200 clamped to 120
    (mean,) = [c for c in result.cells if c.measure == "m"]
    assert mean.value == pytest.approx(295.0 / 6, abs=0.5)
    assert mean.lower <= 295.0 / 6 <= mean.upper  # type: ignore[operator]
    assert values(result, "h") == {("[0, 15)",): 2, ("[15, 60)",): 2, ("[60, 120]",): 2}
    (median,) = [c for c in result.cells if c.measure == "q"]
    assert 10.0 <= median.value <= 40.0 and median.rank_error is not None


def test_a_release_reports_what_its_plan_predicted(catalog: Catalog) -> None:
    query = Query(
        "trips",
        "transport-planning",
        (
            Measure("count", "n"),
            Measure("sum", "s", "duration_min"),
            Measure("median", "q", "duration_min"),
        ),
        ("mode",),
        (),
        Decimal("0.8"),
    )
    planned = plan(query, Decimal("0.8"), catalog)
    result = release(query, trips(citizens(30)), catalog, Decimal("0.8"))
    planned_scales = [(p.role, p.scale) for m in planned.measures for p in m.components]
    assert planned_scales == [(n.role, n.scale) for n in result.noise]
    for m in planned.measures:
        cell = next(c for c in result.cells if c.measure == m.name)
        assert cell.half_width == m.half_width and cell.rank_error == m.rank_error
    assert result.epsilon <= Decimal("0.8")
    assert result.query_hash == query_hash(query)


def test_gaussian_release_reports_rho_and_a_fitting_epsilon(catalog: Catalog) -> None:
    delta = Decimal("1e-7")
    query = Query("trips", "p", COUNT, ("mode",), (), Decimal(2), "gaussian", delta)
    result = release(query, trips(citizens(30)), catalog, Decimal(2))
    assert result.rho is not None and result.rho <= epsilon_to_rho(Decimal(2), delta)
    assert Decimal("1.99") < result.epsilon <= Decimal(2) and result.delta == delta
    assert {n.distribution for n in result.noise} == {"discrete_gaussian"}


def test_refuses_to_run_when_the_privacy_map_exceeds_the_budget(
    catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(measures_base, "SAFETY", 1.5)  # shares now add up to 150 %

    def must_not_read(*_: object) -> None:
        raise AssertionError("records were read")

    query = Query("trips", "p", (Measure("count", "n"), Measure("count", "m")), (), (), Decimal(1))
    with pytest.raises(PrivacyCheckFailed):
        release(query, must_not_read, catalog, Decimal(1))  # type: ignore[arg-type]


def test_errors_carry_no_counts(catalog: Catalog) -> None:
    frame = trips(citizens(137))
    query = Query("trips", "p", COUNT, (), (), Decimal(1))
    with pytest.raises(ReleaseFailed) as info:
        release(query, frame, catalog, Decimal(1), max_rows=100)
    assert not any(ch.isdigit() for ch in str(info.value))
    with pytest.raises(ValueError, match="duration_min"):
        release(
            Query("trips", "p", (Measure("sum", "s", "duration_min"),), (), (), Decimal(1)),
            frame.drop("duration_min"),
            catalog,
            Decimal(1),
        )
