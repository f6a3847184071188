"""How much one citizen can move a statistic, after contribution bounding.

The privacy unit is the citizen: neighbouring datasets differ by *all* records of
one citizen. Before any noise, the engine's bounding (:mod:`anonymise.bounding`)
keeps of each citizen's records at most ``records_per_citizen`` (M) in all,
optionally at most ``records_per_group`` (r) in any one group and
``groups_per_citizen`` (k) groups. From these and the number of public keys K,
the closed forms below give the sensitivities of the exact totals that OpenDP's
measurements are then asked about (and property tests check on random data):

- groups touched ``l0 = min(K, M, k)``; k applies only to a grouping by
  exactly the query's group-by fields;
- records per group ``linf = min(r, M)`` (1 for a distinct-citizen count);
- ``l1 = min(M, l0 * linf)`` and ``l2 = min(l1, sqrt(l0) * linf)``.

A quantile is chosen per group by OpenDP's exponential mechanism on the score
``|den * #below - num * n|`` for the level ``num/den``; one record moves it by at
most ``max(num, den - num)``, so its pure-DP loss is
``2 * max(num, den - num) * linf * l0 / scale``; in zCDP each group costs
``(2 * max(num, den - num) * linf / scale)**2 / 8`` and l0 groups add up.

>>> b = ContributionBounds(records_per_citizen=20)
>>> spread(b, n_keys=8, bounded_groups=True).l1
20
>>> spread(ContributionBounds(20, 2, 2), n_keys=8, bounded_groups=True).l0
2
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from policies.catalog import DatasetSpec


@dataclass(frozen=True, slots=True)
class ContributionBounds:
    """Per-citizen bounds applied before noise (from the catalog or a policy)."""

    records_per_citizen: int
    records_per_group: int | None = None
    groups_per_citizen: int | None = None

    def __post_init__(self) -> None:
        for name in ("records_per_citizen", "records_per_group", "groups_per_citizen"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or value < 1):
                raise ValueError(f"{name} must be a positive integer")

    @classmethod
    def for_dataset(
        cls,
        dataset: DatasetSpec,
        *,
        records_per_citizen: int | None = None,
        records_per_group: int | None = None,
        groups_per_citizen: int | None = None,
    ) -> ContributionBounds:
        """The catalog's bound, optionally tightened by a policy (never loosened)."""
        limit = dataset.max_records_per_citizen
        if records_per_citizen is not None and records_per_citizen > limit:
            raise ValueError(
                f"records_per_citizen {records_per_citizen} exceeds the catalog's {limit}"
            )
        return cls(records_per_citizen or limit, records_per_group, groups_per_citizen)


@dataclass(frozen=True, slots=True)
class Spread:
    """How one citizen's bounded records spread over the released groups."""

    l0: int
    linf: int
    l1: int
    l2: float


def spread(
    bounds: ContributionBounds, n_keys: int, *, bounded_groups: bool, distinct: bool = False
) -> Spread:
    """The closed-form spread for ``n_keys`` released groups.

    ``bounded_groups`` says whether the ``groups_per_citizen`` truncation is on
    exactly this grouping (not for a histogram's extra bin column, nor ungrouped).
    """
    m = bounds.records_per_citizen
    l0 = min(n_keys, m)
    if bounded_groups and bounds.groups_per_citizen is not None:
        l0 = min(l0, bounds.groups_per_citizen)
    linf = 1 if distinct else min(bounds.records_per_group or m, m)
    l1 = min(m, l0 * linf)
    return Spread(l0=l0, linf=linf, l1=l1, l2=min(float(l1), math.sqrt(l0) * linf))


def quantile_step(level: float) -> int:
    """How far one record moves OpenDP's quantile score at ``level``.

    >>> quantile_step(0.5), quantile_step(0.25)
    (1, 3)
    """
    exact = Fraction(level)
    return max(exact.numerator, exact.denominator - exact.numerator)


def quantile_denominator(level: float) -> int:
    """The score's units per record of rank (the level's exact denominator)."""
    return Fraction(level).denominator


def value_magnitude(low: float, high: float) -> float:
    """The largest absolute value of one clamped record: a sum's per-record move."""
    return max(abs(low), abs(high))
