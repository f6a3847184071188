"""The OpenDP 0.16.0 behaviours the engine relies on or works around, each checked.

If one of these fails after an upgrade, the workaround it documents in
``anonymise.measurement`` / ``anonymise.preparation`` should be revisited.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from typing import Any

import opendp.prelude as dp
import polars as pl
import pytest

from anonymise.measurement import CITIZEN, privacy_unit
from anonymise.preparation import with_group_choice
from anonymise.query import Measure, Query
from anonymise.sensitivity import ContributionBounds

dp.enable_features("contrib")

DATA = pl.DataFrame(
    {
        CITIZEN: ["a", "a", "a", "b", "c", "c"],
        "district": ["North", "South", "East", "South", "North", "North"],
        "minutes": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
    }
)
KEYS = pl.LazyFrame({"district": ["East", "North", "South", "West"]})


def domain(max_length: int | None = 1000) -> Any:
    frame = dp.lazyframe_domain(
        [
            dp.series_domain(CITIZEN, dp.atom_domain(T=str)),
            dp.series_domain("district", dp.atom_domain(T=str)),
            dp.series_domain("minutes", dp.atom_domain(T=float, nan=False)),
        ]
    )
    if max_length is None:
        return frame
    return dp.with_margin(frame, dp.polars.Margin(by=[], max_length=max_length))


def context() -> Any:
    """A Context used only to obtain the plans OpenDP's own truncation helpers write."""
    return dp.Context.compositor(
        data=DATA.lazy(),
        privacy_unit=privacy_unit(),
        privacy_loss=dp.loss_of(epsilon=1.0),
        split_evenly_over=1,
        margins=[dp.polars.Margin(by=[], max_length=1000)],
    )


def counts(plan: pl.LazyFrame, scale: float) -> tuple[float, pl.DataFrame]:
    """Privacy loss and release of a per-district count over ``plan`` (scale 0: exact)."""
    metric, d_in = privacy_unit()
    query = KEYS.join(
        plan.group_by("district").agg(dp.len(scale=scale, signed=True)),
        on="district",
        how="left",
        nulls_equal=True,
    )
    measurement = dp.m.make_private_lazyframe(domain(), metric, dp.max_divergence(), query)
    loss = measurement.map(d_in) if scale else float("inf")
    return loss, measurement(DATA.lazy()).collect().sort("district")


def test_the_polars_api_needs_the_contrib_feature() -> None:
    script = textwrap.dedent(
        """
        import opendp.prelude as dp, polars as pl
        domain = dp.lazyframe_domain([dp.series_domain("a", dp.atom_domain(T=str))])
        plan = pl.LazyFrame(schema={"a": pl.String}).select(dp.len(scale=1.0, signed=True))
        try:
            dp.m.make_private_lazyframe(domain, dp.symmetric_distance(), dp.max_divergence(), plan)
        except Exception as exc:
            print(type(exc).__name__, exc)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert "contrib" in result.stdout


def test_truncate_num_groups_keeps_k_minus_one_groups_but_charges_k() -> None:
    query = context().query().truncate_num_groups(2, by=["district"], keep="first")
    plan = object.__getattribute__(query, "polars_plan")
    _, exact = counts(plan.filter(pl.int_range(pl.len()).over(CITIZEN, "district") < 1), 0.0)
    # citizen "a" has three districts and keeps only the first one (East); b and c keep theirs
    assert dict(zip(exact["district"], exact["len"], strict=True)) == {
        "East": 1,
        "North": 1,
        "South": 1,
        "West": 0,
    }
    charged, _ = counts(plan.filter(pl.int_range(pl.len()).over(CITIZEN, "district") < 1), 1.0)
    assert charged == pytest.approx(2.0)  # 2 groups x 1 record, at scale 1


def test_rank_at_most_k_keeps_k_groups_and_charges_k_plus_one() -> None:
    ranks = pl.struct("district").rank("dense").over(CITIZEN)
    base = pl.LazyFrame(schema=DATA.schema).filter(ranks <= 2)
    per_group = base.filter(pl.int_range(pl.len()).over(CITIZEN, "district") < 1)
    _, exact = counts(per_group, 0.0)
    assert dict(zip(exact["district"], exact["len"], strict=True)) == {
        "East": 1,
        "North": 2,
        "South": 1,
        "West": 0,
    }
    charged, _ = counts(per_group, 1.0)
    assert charged == pytest.approx(3.0)


def test_keep_sample_for_groups_crashes_at_collect() -> None:
    query = context().query().truncate_num_groups(2, by=["district"], keep="sample")
    plan = object.__getattribute__(query, "polars_plan")
    with pytest.raises(Exception, match="multiple fields with name"):
        counts(plan.filter(pl.int_range(pl.len()).over(CITIZEN, "district") < 1), 1.0)


def test_per_citizen_random_order_is_not_biased_towards_the_first_key() -> None:
    """Every citizen has all five modes; keeping one group each spreads evenly, unlike keep="first"."""
    modes = ["bike-share", "bus", "ferry", "metro", "tram"]
    frame = pl.DataFrame(
        {CITIZEN: [f"c{i}" for i in range(2000) for _ in modes], "mode": modes * 2000}
    )
    query = Query("trips", "p", (Measure("count", "n"),), ("mode",))
    kept = with_group_choice(frame, query, ContributionBounds(20, None, 1))
    assert kept.group_by(CITIZEN).len()["len"].max() == 1
    shares = kept["mode"].value_counts(normalize=True)["proportion"]
    assert shares.len() == 5 and shares.min() > 0.15 and shares.max() < 0.25


def test_float_sums_need_a_declared_row_bound() -> None:
    metric, _ = privacy_unit()
    plan = (
        pl.LazyFrame(schema=DATA.schema)
        .filter(pl.int_range(pl.len()).over(CITIZEN) < 5)
        .select(pl.col("minutes").dp.sum((0.0, 10.0), scale=1.0))
    )
    with pytest.raises(dp.OpenDPException, match="max_length"):
        dp.m.make_private_lazyframe(domain(None), metric, dp.max_divergence(), plan)
    assert dp.m.make_private_lazyframe(domain(), metric, dp.max_divergence(), plan)


def test_with_keys_releases_every_public_key() -> None:
    query = (
        context()
        .query()
        .truncate_per_group(1)
        .group_by("district")
        .agg(dp.len(signed=True))
        .with_keys(KEYS)
    )
    plan = object.__getattribute__(query, "polars_plan")
    metric, _ = privacy_unit()
    release = dp.m.make_private_lazyframe(
        domain(), metric, dp.max_divergence(), plan, global_scale=1.0
    )
    assert sorted(release(DATA.lazy()).collect()["district"]) == ["East", "North", "South", "West"]


def test_collecting_a_composition_s_outputs_crashes_so_components_run_alone() -> None:
    """0.16.0 segfaults when the OnceFrames of ``make_composition`` are collected."""
    script = textwrap.dedent(
        """
        import opendp.prelude as dp, polars as pl
        dp.enable_features("contrib")
        domain = dp.with_margin(
            dp.lazyframe_domain([dp.series_domain("citizen_id", dp.atom_domain(T=str))]),
            dp.polars.Margin(by=[], max_length=10))
        metric, d_in = dp.unit_of(contributions=[dp.polars.Bound(per_group=1)], identifier="citizen_id")
        plan = pl.LazyFrame(schema={"citizen_id": pl.String}).filter(
            pl.int_range(pl.len()).over("citizen_id") < 1).select(dp.len(scale=1.0, signed=True))
        m = dp.m.make_private_lazyframe(domain, metric, dp.max_divergence(), plan)
        print(m(pl.LazyFrame({"citizen_id": ["a"]})).collect().height)
        dp.c.make_composition([m])(pl.LazyFrame({"citizen_id": ["a"]}))[0].collect()
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )
    assert result.stdout.strip() == "1"  # one measurement alone works
    assert result.returncode < 0  # killed by a signal (SIGSEGV)
