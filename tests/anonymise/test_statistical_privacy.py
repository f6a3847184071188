"""A statistical check, on neighbouring datasets, that the privacy loss stays within epsilon.

D' has 30 citizens with one trip each; D adds one citizen with 20 trips (the
catalog's bound). The engine's count at epsilon = 1 is released 4000 times on
each. For events S (the output at least / at most a threshold) we bound
P[M(D) in S] from below and P[M(D') in S] from above with one-sided
Clopper–Pearson intervals, and report a violation only if
``lower(P[M(D) in S]) > e^epsilon * upper(P[M(D') in S])`` (and symmetrically).
Each bound holds with probability 1 - 0.001 / (2 * #events) (Bonferroni), so a
correct mechanism is flagged with probability at most 0.1 %: the test's
confidence level is 99.9 %. A mechanism that spends twice the claimed epsilon is
caught (checked below), so the test has power.
"""

from __future__ import annotations

import math
from decimal import Decimal

import opendp.prelude as dp
import polars as pl
import pytest
from scipy.stats import beta

from anonymise.measurement import invoke
from anonymise.planning import calibrate, total_budget
from anonymise.preparation import prepare
from anonymise.query import Measure, Query
from anonymise.sensitivity import ContributionBounds
from policies.catalog import Catalog
from tests.anonymise.frames import citizens, trips

EPSILON = 1.0
RUNS = 4000
FAMILY_ERROR = 0.001
THRESHOLDS = range(10, 75, 5)


def clopper_pearson(successes: int, trials: int, error: float) -> tuple[float, float]:
    """One-sided bounds: P >= lower and P <= upper, each with probability 1 - error."""
    lower = 0.0 if successes == 0 else float(beta.ppf(error, successes, trials - successes + 1))
    upper = (
        1.0
        if successes == trials
        else float(beta.ppf(1 - error, successes + 1, trials - successes))
    )
    return lower, upper


def violations(d: list[int], d_prime: list[int], epsilon: float) -> list[str]:
    """Events where the samples show the loss exceeds epsilon, at 99.9 % confidence."""
    events = [(f">= {t}", lambda x, t=t: x >= t) for t in THRESHOLDS]
    events += [(f"<= {t}", lambda x, t=t: x <= t) for t in THRESHOLDS]
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


@pytest.mark.slow
def test_no_evidence_that_a_count_leaks_more_than_epsilon(catalog: Catalog) -> None:
    dataset = catalog.datasets["trips"]
    query = Query("trips", "transport-planning", (Measure("count", "n"),), (), (), Decimal(1))
    bounds = ContributionBounds.for_dataset(dataset)
    (count,) = calibrate(query, total_budget(query, Decimal(1)), catalog, bounds)
    d_prime = trips(citizens(30))
    d = pl.concat([d_prime, trips(citizens(1, records_each=20, prefix="extra"))])
    samples = []
    for frame in (d, d_prime):
        prepared = prepare(frame, query, dataset, bounds)
        samples.append([invoke(count.measurement, prepared)["value"][0] for _ in range(RUNS)])
    assert abs(sum(samples[0]) / RUNS - 50) < 3 and abs(sum(samples[1]) / RUNS - 30) < 3
    assert violations(samples[0], samples[1], EPSILON) == []


@pytest.mark.slow
def test_the_check_catches_a_mechanism_that_spends_twice_epsilon() -> None:
    noise = dp.m.make_geometric(dp.atom_domain(T=int), dp.absolute_distance(T=int), scale=10.0)
    d = [noise(50) for _ in range(RUNS)]
    d_prime = [noise(30) for _ in range(RUNS)]
    assert violations(d, d_prime, EPSILON)
