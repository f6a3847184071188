"""Will a release be useful? Warnings judged before spending, from public figures only.

A measure is *swamped* when its expected 95 % half-width is at least the value
it is likely to have (a count of about 200 reported as ± 240 may well read 0),
or when its interval covers the field's whole declared range (a mean of trip
duration ± 60 on 0–120 minutes says nothing). "Likely" comes from the catalog
alone: the dataset's declared expected size (records, and citizens, per month
or in all, :class:`policies.catalog.ExpectedSize`), spread evenly over the
public keys a query groups by or keeps, and the fields' declared bounds. No
record is read, so a warning reveals nothing about the data.

With each warning comes the smallest epsilon that would bring every measure
within a chosen fraction of its likely value (the same split across measures).

>>> from decimal import ROUND_FLOOR, Decimal
>>> from policies.catalog import load_catalog
>>> from anonymise.query_values import Filter, Measure, Query
>>> catalog = load_catalog()
>>> query = Query("trips", "p", (Measure("count", "trips"),), ("district",),
...     (Filter("month", ("2025-03",)),), Decimal("0.25"))
>>> judged = judge(query, catalog)
>>> judged.expected.records, judged.measures[0].swamped
(200.0, True)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from decimal import ROUND_FLOOR, Decimal

from anonymise.planning import UnreachableAccuracy, epsilon_for_accuracy, plan
from anonymise.query_values import Measure, Query, allowed_keys
from anonymise.sensitivity import ContributionBounds
from policies.budget import EPSILON_UNIT, Epsilon, from_units, to_units
from policies.catalog import Catalog, DatasetSpec

DEFAULT_ACCURACY = 0.25  # aim: half-width at most a quarter of the likely value
MAX_EPSILON = Decimal(10)


@dataclass(frozen=True, slots=True)
class Expected:
    """Records and citizens a group is likely to hold, from the catalog's declared size."""

    records: float
    citizens: float | None


@dataclass(frozen=True, slots=True)
class MeasureJudgement:
    """One measure: its expected accuracy against the value it is likely to have.

    ``reason`` is ``"value"`` (the half-width reaches the likely value),
    ``"range"`` (the interval covers the field's whole declared range) or ``None``.
    """

    name: str
    kind: str
    share: float  # of the query's epsilon (its weight over the total)
    epsilon: Decimal  # its part of the epsilon
    half_width: float | None
    rank_error: float | None
    likely: float | None
    reason: str | None

    @property
    def swamped(self) -> bool:
        return self.reason is not None


@dataclass(frozen=True, slots=True)
class Judgement:
    """Every measure judged; ``useful_epsilon`` reaches ``accuracy`` for all of them."""

    epsilon: Decimal
    expected: Expected | None
    measures: tuple[MeasureJudgement, ...]
    accuracy: float
    useful_epsilon: Decimal | None
    unreachable: bool

    @property
    def warnings(self) -> tuple[MeasureJudgement, ...]:
        return tuple(m for m in self.measures if m.swamped)


def expected_per_group(query: Query, dataset: DatasetSpec) -> Expected | None:
    """The declared size spread evenly over the query's groups and filters.

    Each grouped field divides by its number of public keys; each filtered (not
    grouped) field keeps the share of keys it allows. For a size declared per
    month, the month field instead multiplies by the months a query covers
    (one per group when grouped by month).
    """
    size = dataset.expected_size
    if size is None:
        return None
    factor = 1.0
    filtered = {f.field for f in query.filters}
    for spec in dataset.fields.values():
        grouped = spec.name in query.group_by
        per_month = size.per == "month" and spec.type == "time" and spec.granularity == "month"
        if not (grouped or spec.name in filtered or per_month):
            continue
        keys = spec.public_keys()
        kept = len(allowed_keys(spec, query.filters))
        if per_month:
            factor *= 1 if grouped else kept
        elif keys:
            factor *= (1 if grouped else kept) / len(keys)
    citizens = None if size.citizens is None else size.citizens * factor
    return Expected(size.records * factor, citizens)


def _likely(measure: Measure, dataset: DatasetSpec, expected: Expected) -> float | None:
    """The value a measure is likely to have in one group (bin), from public figures."""
    if measure.kind == "count":
        return expected.records
    if measure.kind == "distinct_citizens":
        if expected.citizens is not None:
            return expected.citizens
        return expected.records / dataset.max_records_per_citizen
    spec = dataset.fields.get(measure.field or "")
    if spec is None or spec.low is None or spec.high is None:
        return None
    middle = abs(spec.low + spec.high) / 2
    if measure.kind == "sum":
        return expected.records * middle
    if measure.kind == "mean":
        return middle
    if measure.kind == "histogram":
        return expected.records / max(1, len(measure.bins) - 1)
    return expected.records  # quantiles: records of rank in the group


def _reason(
    measure: Measure,
    half_width: float | None,
    rank_error: float | None,
    likely: float | None,
    dataset: DatasetSpec,
) -> str | None:
    """Why a measure is swamped, or ``None``; see the module docstring."""
    if likely is None:
        return None
    if rank_error is not None:
        # The released rank q·n ± r reaches the smallest or the largest record.
        levels = measure.quantiles or ((0.5,) if measure.kind == "median" else (0.25, 0.5, 0.75))
        edge = min(min(q, 1 - q) for q in levels) * likely
        return "range" if rank_error >= edge else None
    if half_width is None:
        return None
    spec = dataset.fields.get(measure.field or "")
    covers = (
        measure.kind == "mean"
        and spec is not None
        and spec.low is not None
        and 2 * half_width >= (spec.high or 0) - spec.low
    )
    if covers:
        return "range"
    return "value" if half_width >= likely else None


def _with_expected_records(query: Query, expected: Expected | None) -> Query:
    """The query with every mean's expected records set (when the analyst gave none)."""
    if expected is None:
        return query
    records = max(1, math.floor(expected.records))
    measures = tuple(
        replace(m, expected_records=records)
        if m.kind == "mean" and m.expected_records is None
        else m
        for m in query.measures
    )
    return replace(query, measures=measures)


def judge(
    query: Query,
    catalog: Catalog,
    epsilon: Decimal | None = None,
    bounds: ContributionBounds | None = None,
    accuracy: float = DEFAULT_ACCURACY,
) -> Judgement:
    """Judge each measure of ``query`` at ``epsilon`` (default: the query's own)."""
    dataset = catalog.datasets[query.dataset]
    epsilon = epsilon if epsilon is not None else query.epsilon
    if epsilon is None:
        raise ValueError("judge needs an epsilon")
    expected = expected_per_group(query, dataset)
    planned_query = _with_expected_records(query, expected)
    planned = plan(planned_query, epsilon, catalog, bounds)
    total = sum(m.weight for m in query.measures)
    judged = []
    targets: dict[str, float] = {}
    for measure, mp in zip(planned_query.measures, planned.measures, strict=True):
        likely = None if expected is None else _likely(measure, dataset, expected)
        reason = _reason(measure, mp.half_width, mp.rank_error, likely, dataset)
        share = measure.weight / total
        judged.append(
            MeasureJudgement(
                measure.name,
                measure.kind,
                share,
                _micro(epsilon * Decimal(measure.weight) / Decimal(total)),
                mp.half_width,
                mp.rank_error,
                likely,
                reason,
            )
        )
        if likely is not None and likely > 0:
            targets[measure.name] = accuracy * likely
    useful, unreachable = None, False
    if any(j.swamped for j in judged):
        try:
            useful = useful_epsilon(planned_query, catalog, targets, bounds)
        except UnreachableAccuracy:
            unreachable = True
    return Judgement(epsilon, expected, tuple(judged), accuracy, useful, unreachable)


def useful_epsilon(
    query: Query,
    catalog: Catalog,
    targets: dict[str, float],
    bounds: ContributionBounds | None = None,
) -> Decimal:
    """The smallest epsilon whose half-widths (rank errors for quantiles) meet ``targets``.

    Half-width targets go to :func:`anonymise.planning.epsilon_for_accuracy`;
    rank errors shrink as epsilon grows too, so a bisection on the plan finds
    theirs. Raises :class:`~anonymise.planning.UnreachableAccuracy` beyond epsilon 10.
    """
    ranked = {m.name for m in query.measures if m.kind in ("quantile", "median", "quartiles")}
    widths = {name: t for name, t in targets.items() if name not in ranked}
    ranks = {name: t for name, t in targets.items() if name in ranked}
    found = Decimal(0)
    if widths:
        found = epsilon_for_accuracy(query, widths, catalog, bounds)
    if ranks:
        found = max(found, _epsilon_for_ranks(query, ranks, catalog, bounds))
    if not widths and not ranks:
        raise UnreachableAccuracy("no measure has a likely value to aim at")
    return found


def _epsilon_for_ranks(
    query: Query, targets: dict[str, float], catalog: Catalog, bounds: ContributionBounds | None
) -> Decimal:
    def meets(units: int) -> bool:
        planned = plan(query, _epsilon(units), catalog, bounds, exact=False)
        return all(
            m.rank_error is not None and m.rank_error <= targets[m.name]
            for m in planned.measures
            if m.name in targets
        )

    low, high = 0, to_units(MAX_EPSILON, EPSILON_UNIT)
    if not meets(high):
        raise UnreachableAccuracy(f"the target accuracy needs more than epsilon {MAX_EPSILON}")
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (low, middle) if meets(middle) else (middle, high)
    return _epsilon(high)


def _epsilon(units: int) -> Epsilon:
    return Epsilon(from_units(units, EPSILON_UNIT).normalize())


def _micro(value: Decimal) -> Decimal:
    """Rounded down to the micro-epsilon grid (for display of a share)."""
    return (value / EPSILON_UNIT).to_integral_value(ROUND_FLOOR) * EPSILON_UNIT
