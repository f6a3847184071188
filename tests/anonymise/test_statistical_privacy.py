"""A statistical check, on neighbouring datasets, that the privacy loss stays within epsilon.

D' has 30 citizens with one trip each; D adds one citizen with 20 trips (the
catalog's bound) of the longest duration. For each measure kind (count, sum,
mean, histogram, quantile) at epsilon = 1, the engine computes the exact totals
of D and of D' (bounding and partial aggregates, :func:`shard_partials`, on two
shards) and then runs its release step (OpenDP's measurement of the totals)
4000 times on each. For events S (the output at least / at most a threshold,
thresholds taken from an independent pilot run) we bound P[M(D) in S] from
below and P[M(D') in S] from above with one-sided Clopper–Pearson intervals,
and report a violation only if ``lower(P[M(D) in S]) > e^epsilon *
upper(P[M(D') in S])`` (and symmetrically). Each bound holds with probability
1 - 0.001 / (2 * 2 * #events) (Bonferroni), so a correct mechanism is flagged
with probability at most 0.1 % per measure: the test's confidence level is
99.9 %. A mechanism that spends twice the claimed epsilon is caught (checked
below), so the test has power.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Callable
from decimal import Decimal

import numpy as np
import opendp.prelude as dp
import polars as pl
import pytest
from scipy.stats import beta

from anonymise.partials import Partials, Work, shard_partials
from anonymise.planning import Calibrated, calibrate, total_budget
from anonymise.query import Measure, Query
from anonymise.sensitivity import ContributionBounds
from policies.catalog import Catalog
from tests.anonymise.frames import citizens, trips

EPSILON = 1.0
RUNS = 4000
FAMILY_ERROR = 0.001
PILOT = 400
MEASURES = {
    "count": Measure("count", "n"),
    "sum": Measure("sum", "s", "duration_min"),
    "mean": Measure("mean", "m", "duration_min"),
    "histogram": Measure("histogram", "h", "duration_min", bins=(0.0, 60.0, 120.0)),
    "quantile": Measure("quantile", "q", "duration_min", quantiles=(0.75,)),
}


def clopper_pearson(successes: int, trials: int, error: float) -> tuple[float, float]:
    """One-sided bounds: P >= lower and P <= upper, each with probability 1 - error."""
    lower = 0.0 if successes == 0 else float(beta.ppf(error, successes, trials - successes + 1))
    upper = (
        1.0
        if successes == trials
        else float(beta.ppf(1 - error, successes + 1, trials - successes))
    )
    return lower, upper


def violations(
    d: list[float], d_prime: list[float], epsilon: float, thresholds: list[float]
) -> list[str]:
    """Events where the samples show the loss exceeds epsilon, at 99.9 % confidence."""
    events: list[tuple[str, Callable[[float], bool]]] = [
        (f">= {t}", lambda x, t=t: x >= t) for t in thresholds
    ]
    events += [(f"<= {t}", lambda x, t=t: x <= t) for t in thresholds]
    error = FAMILY_ERROR / (2 * 2 * len(events))  # two bounds per event and direction
    found = []
    for name, event in events:
        hits_d = sum(map(event, d))
        hits_p = sum(map(event, d_prime))
        low_d, up_d = clopper_pearson(hits_d, len(d), error)
        low_p, up_p = clopper_pearson(hits_p, len(d_prime), error)
        if low_d > math.exp(epsilon) * up_p or low_p > math.exp(epsilon) * up_d:
            found.append(name)
    return found


def thresholds_of(pilot: list[float]) -> list[float]:
    """Nine cut points spread over a pilot sample (independent of the tested samples)."""
    return sorted(set(np.quantile(pilot, np.linspace(0.1, 0.9, 9)).tolist()))


def totals(
    frame: pl.DataFrame, query: Query, built: list[Calibrated], catalog: Catalog
) -> Partials:
    """The engine's exact totals of ``frame``, computed on two shards of citizens."""
    dataset = catalog.datasets[query.dataset]
    work = Work(
        query,
        dataset,
        ContributionBounds.for_dataset(dataset),
        tuple(c.component for c in built),
        secrets.randbits(63),
    )
    half = pl.col("citizen_id").hash(seed=7) % 2 == 0
    return shard_partials(frame.filter(half), work) + shard_partials(frame.filter(~half), work)


def released(built: list[Calibrated], total: Partials) -> float:
    """One run of the release step: each component's OpenDP measurement on its totals."""
    values = [
        c.component.aggregation.noisy(c.component, c.measurement, part)
        for c, part in zip(built, total.parts, strict=True)
    ]
    if len(values) == 2:  # a mean: noisy sum over noisy count (post-processing)
        return float(values[0][0]) / max(float(values[1][0]), 1.0)
    return float(values[0][-1])  # the histogram's last bin, where D's extra trips fall


@pytest.mark.slow
@pytest.mark.parametrize("kind", sorted(MEASURES))
def test_no_evidence_that_a_release_leaks_more_than_epsilon(catalog: Catalog, kind: str) -> None:
    query = Query("trips", "transport-planning", (MEASURES[kind],), (), (), Decimal(1))
    dataset = catalog.datasets["trips"]
    built = calibrate(
        query, total_budget(query, Decimal(1)), catalog, ContributionBounds.for_dataset(dataset)
    )
    d_prime = trips(citizens(30))
    extra = trips(citizens(1, records_each=20, prefix="extra", duration_min=120.0))
    d = pl.concat([d_prime, extra])
    per_dataset = [totals(frame, query, built, catalog) for frame in (d, d_prime)]
    pilot = [released(built, total) for total in per_dataset for _ in range(PILOT)]
    samples = [[released(built, total) for _ in range(RUNS)] for total in per_dataset]
    assert violations(samples[0], samples[1], EPSILON, thresholds_of(pilot)) == []


@pytest.mark.slow
def test_the_check_catches_a_mechanism_that_spends_twice_epsilon() -> None:
    noise = dp.m.make_geometric(dp.atom_domain(T=int), dp.absolute_distance(T=int), scale=10.0)
    d = [float(noise(50)) for _ in range(RUNS)]
    d_prime = [float(noise(30)) for _ in range(RUNS)]
    assert violations(d, d_prime, EPSILON, [float(t) for t in range(10, 75, 5)])
