"""Property tests of the decomposed engine: exact totals for any partition, bounded contributions.

For random trip datasets, bounds, groupings and partitions of the citizens
into shards, the sum of the shards' partial aggregates equals a brute-force
reference computed record by record in plain Python (the same keyed-random
order decides truncation: its hash values are the one thing taken from the
engine). And removing any one citizen moves each component's totals by no
more than the sensitivity its OpenDP measurement is charged at, in L1 and L2
(for a quantile: at most ``l0`` groups' scores, each by at most the step).
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

import numpy as np
import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from anonymise.bounding import CITIZEN, RECORD_SEED, keyed_order
from anonymise.components import components
from anonymise.measures.base import Component
from anonymise.measures.histogram import bin_labels
from anonymise.measures.quantile import Quantile
from anonymise.partials import Partials, Work, shard_partials
from anonymise.query import Measure, Query
from anonymise.sensitivity import ContributionBounds
from policies.catalog import Catalog, load_catalog
from tests.anonymise.frames import trips

CATALOG: Catalog = load_catalog()
TRIPS = CATALOG.datasets["trips"]
MODES = ["bus", "metro", "tram"]
DISTRICTS = list(TRIPS.fields["district"].domain[:3])
MEASURES = (
    Measure("count", "n"),
    Measure("distinct_citizens", "d"),
    Measure("sum", "s", "duration_min"),
    Measure("histogram", "h", "duration_min", bins=(0.0, 15.0, 60.0, 120.0)),
    Measure("quantile", "q", "duration_min", quantiles=(0.25, 0.5)),
)

records = st.fixed_dictionaries(
    {
        "mode": st.sampled_from(MODES),
        "district": st.sampled_from(DISTRICTS),
        # off the catalog's [0, 120] too (clamping), on and between quantile candidates
        "duration_min": st.one_of(
            st.integers(-5, 130).map(float), st.floats(-10, 150, allow_nan=False)
        ),
    }
)
datasets = st.dictionaries(
    st.sampled_from([f"c{i}" for i in range(8)]), st.lists(records, max_size=12), max_size=8
)
bounds = st.builds(
    ContributionBounds,
    st.integers(1, 12),
    st.one_of(st.none(), st.integers(1, 4)),
    st.one_of(st.none(), st.integers(1, 3)),
)
groupings = st.sampled_from([(), ("mode",), ("mode", "district")])


def frame_of(data: dict[str, list[dict[str, Any]]]) -> pl.DataFrame:
    return trips([{"citizen_id": cid, **row} for cid, rows in data.items() for row in rows])


def work_of(group_by: tuple[str, ...], limits: ContributionBounds, salt: int) -> Work:
    query = Query("trips", "p", MEASURES, group_by)
    return Work(query, TRIPS, limits, tuple(components(query, TRIPS, limits)), salt)


def engine_totals(frame: pl.DataFrame, work: Work, shard_of: dict[str, int]) -> Partials:
    """Shards by the drawn assignment, each computed alone, added in shard order."""
    shard = pl.col(CITIZEN).replace_strict(shard_of, default=0, return_dtype=pl.Int64)
    parts = [
        shard_partials(frame.filter(shard == s), work) for s in sorted(set(shard_of.values()) | {0})
    ]
    return Partials.total(parts)


# -- the brute-force reference -------------------------------------------------------


def reference_rows(frame: pl.DataFrame, work: Work) -> list[dict[str, Any]]:
    """Truncation record by record: k groups, r per group, M per citizen, by hash order."""
    query, limits = work.query, work.bounds
    columns = [CITIZEN, *query.group_by, "duration_min"]
    if frame.height:
        frame = frame.select(columns).with_columns(
            pl.Series("h", [bin_of(v) for v in frame["duration_min"]], dtype=pl.String).alias(
                "__bin_h"
            )
        )
        hashed = frame.with_columns(
            keyed_order([CITIZEN, *query.group_by], work.salt).alias("group_hash"),
            keyed_order(frame.columns, work.salt ^ RECORD_SEED).alias("record_hash"),
        )
    else:
        hashed = frame
    by_citizen: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in hashed.to_dicts():
        by_citizen[row[CITIZEN]].append(row)
    kept: list[dict[str, Any]] = []
    for rows in by_citizen.values():
        if limits.groups_per_citizen is not None and query.group_by:
            ranked = sorted({r["group_hash"] for r in rows})[: limits.groups_per_citizen]
            rows = [r for r in rows if r["group_hash"] in ranked]
        rows = sorted(rows, key=lambda r: r["record_hash"])
        if limits.records_per_group is not None and query.group_by:
            seen: dict[tuple[Any, ...], int] = defaultdict(int)
            out = []
            for r in rows:
                key = tuple(r[g] for g in query.group_by)
                seen[key] += 1
                if seen[key] <= limits.records_per_group:
                    out.append(r)
            rows = out
        kept += rows[: limits.records_per_citizen]
    return kept


def bin_of(value: float) -> str:
    edges = (0.0, 15.0, 60.0, 120.0)
    clamped = min(max(value, edges[0]), edges[-1])
    labels = bin_labels(edges)
    return next((labels[i] for i in range(len(labels) - 1) if clamped < edges[i + 1]), labels[-1])


def reference_part(component: Component, rows: list[dict[str, Any]]) -> np.ndarray:
    index = {key: i for i, key in enumerate(component.released_keys())}
    n = len(index)

    def key(r: dict[str, Any]) -> tuple[Any, ...]:
        return tuple(r[g] for g in component.group_by)

    if component.role == "quantile":
        below = [[0] * len(component.candidates) for _ in range(n)]
        above = [[0] * len(component.candidates) for _ in range(n)]
        for r in rows:
            for j, c in enumerate(component.candidates):
                below[index[key(r)]][j] += r["duration_min"] < c
                above[index[key(r)]][j] += r["duration_min"] > c
        return np.array([below, above])
    out = [0] * n
    if component.role == "distinct":
        for k in {(r[CITIZEN], key(r)) for r in rows}:
            out[index[k[1]]] += 1
    for r in rows if component.role != "distinct" else []:
        if component.role == "sum":
            clamped = min(max(r["duration_min"], component.low), component.high)
            out[index[key(r)]] += round(clamped / component.quantum)
        else:
            out[index[key(r)]] += 1
    return np.array(out)


def comparable(component: Component, total: np.ndarray) -> np.ndarray:
    """The engine's quantile gap counts as (below, above) per candidate; others as they are."""
    if component.role != "quantile":
        return total
    below = np.cumsum(total[0], axis=1)[:, :-1]
    above = np.cumsum(total[1][:, ::-1], axis=1)[:, ::-1][:, 1:]
    return np.array([below, above])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=datasets,
    limits=bounds,
    group_by=groupings,
    salt=st.integers(0, 2**63 - 1),
    assignment=st.lists(st.integers(0, 5), min_size=8, max_size=8),
)
def test_shard_totals_equal_a_brute_force_reference(
    data: dict[str, list[dict[str, Any]]],
    limits: ContributionBounds,
    group_by: tuple[str, ...],
    salt: int,
    assignment: list[int],
) -> None:
    frame = frame_of(data)
    work = work_of(group_by, limits, salt)
    shard_of = {f"c{i}": s for i, s in enumerate(assignment)}
    totals = engine_totals(frame, work, shard_of)
    rows = reference_rows(frame, work)
    assert totals.rows == len(rows)
    for component, total in zip(work.components, totals.parts, strict=True):
        expected = reference_part(component, rows)
        assert np.array_equal(comparable(component, total), expected), component.role


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=datasets, limits=bounds, group_by=groupings, salt=st.integers(0, 2**63 - 1))
def test_no_citizen_moves_a_total_beyond_its_sensitivity(
    data: dict[str, list[dict[str, Any]]],
    limits: ContributionBounds,
    group_by: tuple[str, ...],
    salt: int,
) -> None:
    frame = frame_of(data)
    work = work_of(group_by, limits, salt)
    everyone = shard_partials(frame, work)
    for citizen in data:
        without = shard_partials(frame.filter(pl.col(CITIZEN) != citizen), work)
        for component, full, less in zip(
            work.components, everyone.parts, without.parts, strict=True
        ):
            kind = component.aggregation
            if isinstance(kind, Quantile):
                moved = np.abs(kind.scores(component, full) - kind.scores(component, less))
                per_group = moved.max(axis=1)
                assert per_group.max() <= kind.d_in(component, True)
                assert np.count_nonzero(per_group) <= component.spread.l0
                continue
            diff = (full - less).astype(np.float64) * component.quantum
            l1, l2 = kind.d_in(component, True), kind.d_in(component, False)
            assert np.abs(diff).sum() <= l1 + 1e-9
            assert math.sqrt(float((diff**2).sum())) <= l2 + 1e-9
