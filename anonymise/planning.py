"""Planning without data: expected accuracy for an epsilon, or the epsilon for an accuracy.

Nothing here touches records: scales follow in closed form from the catalog's
bounds, the public keys and the budget split (:mod:`anonymise.components`),
checked against OpenDP's privacy maps of data-free measurements, and half-widths
follow from the scales (:mod:`anonymise.accuracy`). A release calibrates with the
same code (:func:`calibrate`), so a plan reports the scales the release will use.

>>> from policies.catalog import load_catalog
>>> from anonymise.query import Measure, Query
>>> catalog = load_catalog()
>>> query = Query("trips", "transport-planning", (Measure("count", "trips"),), ("mode",))
>>> p = plan(query, Decimal("1"), catalog)
>>> round(p.measures[0].components[0].scale, 6)  # 20 records per citizen / epsilon 1
20.0
>>> epsilon_for_accuracy(query, 100.0, catalog)
Decimal('0.602135')
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

from anonymise.components import components
from anonymise.measurement import build
from anonymise.measures.base import DEFAULT_MAX_ROWS, Accuracy, Component, field_bounds
from anonymise.measures.registry import MEASURES, kind_of
from anonymise.privacy_loss import epsilon_to_rho
from anonymise.query import MAX_EPSILON, Query
from anonymise.sensitivity import ContributionBounds
from policies.budget import EPSILON_UNIT, Epsilon, Rho, from_units, to_units
from policies.catalog import Catalog, DatasetSpec


class UnreachableAccuracy(ValueError):
    """No epsilon up to the maximum reaches the requested accuracy."""


@dataclass(frozen=True, slots=True)
class ComponentPlan:
    """Scale and accuracy of one noisy component.

    ``budget`` is its privacy parameter: epsilon under pure DP, rho under zCDP.
    """

    role: str
    level: float | None
    distribution: str
    budget: float
    scale: float
    half_width: float | None
    rank_error: float | None


@dataclass(frozen=True, slots=True)
class MeasurePlan:
    """Expected 95 % half-width of a measure (a quantile: its rank error instead)."""

    name: str
    kind: str
    half_width: float | None
    rank_error: float | None
    components: tuple[ComponentPlan, ...]


@dataclass(frozen=True, slots=True)
class Plan:
    mechanism: str
    epsilon: Decimal
    delta: Decimal | None
    rho: Decimal | None
    bounds: ContributionBounds
    measures: tuple[MeasurePlan, ...]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (decimals as strings)."""
        out = asdict(self)
        for key in ("epsilon", "delta", "rho"):
            out[key] = None if out[key] is None else str(out[key])
        return out


@dataclass(frozen=True, slots=True)
class TotalBudget:
    """What a query may spend: ``epsilon``, and under zCDP the ``rho`` that fits in it.

    ``parameter`` is what the components split: epsilon (pure DP) or rho (zCDP).
    """

    epsilon: Epsilon
    rho: Rho | None

    @property
    def parameter(self) -> float:
        return float(self.epsilon if self.rho is None else self.rho)


def total_budget(query: Query, epsilon: Decimal) -> TotalBudget:
    """The budget to split: epsilon (pure DP) or the rho that fits in (epsilon, delta)."""
    if query.mechanism == "laplace":
        return TotalBudget(Epsilon(epsilon), None)
    if query.delta is None:
        raise ValueError("the gaussian mechanism needs a delta")
    return TotalBudget(Epsilon(epsilon), epsilon_to_rho(Epsilon(epsilon), query.delta))


def plan_component(
    component: Component, scale: float, parameter: float, alpha: float
) -> ComponentPlan:
    """The accuracy a component has at ``scale`` (``parameter``: its epsilon or rho)."""
    accuracy = component.aggregation.component_accuracy(component, scale, alpha)
    return ComponentPlan(
        component.role,
        component.level,
        component.distribution,
        parameter,
        scale,
        accuracy.half_width,
        accuracy.rank_error,
    )


@dataclass(frozen=True, slots=True)
class Calibrated:
    """A component with its fresh, checked OpenDP measurement (never shared)."""

    component: Component
    measurement: Any
    scale: float
    parameter: float  # epsilon (pure DP) or rho (zCDP) it may use
    loss: float  # OpenDP's privacy map at the component's sensitivity (<= parameter)


def calibrate(
    query: Query,
    budget: TotalBudget,
    catalog: Catalog,
    bounds: ContributionBounds,
    max_rows: int = DEFAULT_MAX_ROWS,
) -> list[Calibrated]:
    """Build every component's measurement at its closed-form scale, checked by OpenDP.

    No data is involved: the measurements act on totals whose shape and
    sensitivity the catalog, the bounds and the public keys determine.
    """
    dataset = catalog.datasets[query.dataset]
    out = []
    for comp in components(query, dataset, bounds, max_rows):
        parameter = budget.parameter * comp.share
        built = build(comp, query.mechanism, parameter)
        out.append(Calibrated(comp, built.measurement, built.scale, parameter, built.loss))
    return out


def field_range(dataset: DatasetSpec, name: str | None) -> tuple[float, float]:
    """A numeric field's catalog bounds ((0, 0) for none)."""
    return field_bounds(dataset.fields.get(name or ""))


def plan(
    query: Query,
    epsilon: Decimal,
    catalog: Catalog,
    bounds: ContributionBounds | None = None,
    *,
    max_rows: int = DEFAULT_MAX_ROWS,
    exact: bool = True,
) -> Plan:
    """Expected accuracy of every measure of ``query`` if ``epsilon`` is spent.

    With ``exact`` the scales are those a release would use, checked against
    OpenDP's privacy maps (a few milliseconds per component); without it, the
    closed forms alone (slightly optimistic for float sums, whose map adds
    rounding slack).
    """
    dataset = catalog.datasets[query.dataset]
    bounds = bounds or ContributionBounds.for_dataset(dataset)
    budget = total_budget(query, epsilon)
    if exact:
        scaled = [
            (c.component, c.scale, c.parameter)
            for c in calibrate(query, budget, catalog, bounds, max_rows)
        ]
    else:
        total = budget.parameter
        scaled = [
            (c, c.scale(total * c.share, query.mechanism), total * c.share)
            for c in components(query, dataset, bounds, max_rows)
        ]
    measures = []
    for measure in query.measures:
        kind = kind_of(measure)
        parts = [
            plan_component(c, scale, parameter, kind.alpha)
            for c, scale, parameter in scaled
            if c.measure == measure.name
        ]
        low, high = field_range(dataset, measure.field)
        accuracies = [Accuracy(p.half_width, p.rank_error) for p in parts]
        accuracy = kind.planned_accuracy(measure, accuracies, low, high)
        measures.append(
            MeasurePlan(
                measure.name, measure.kind, accuracy.half_width, accuracy.rank_error, tuple(parts)
            )
        )
    return Plan(query.mechanism, epsilon, query.delta, budget.rho, bounds, tuple(measures))


def _targets(query: Query, target: float | Mapping[str, float] | None) -> dict[str, float]:
    if target is None:
        found = {m.name: m.target_half_width for m in query.measures if m.target_half_width}
    elif isinstance(target, Mapping):
        found = dict(target)
    else:
        found = {
            m.name: float(target) for m in query.measures if not MEASURES[m.kind].rank_accuracy
        }
    if not found:
        raise UnreachableAccuracy("no measure has a target accuracy")
    return found


def epsilon_for_accuracy(
    query: Query,
    target: float | Mapping[str, float] | None,
    catalog: Catalog,
    bounds: ContributionBounds | None = None,
    *,
    max_rows: int = DEFAULT_MAX_ROWS,
) -> Decimal:
    """The smallest epsilon (on the micro grid) meeting every target half-width.

    ``target`` is one half-width for every count, sum and mean measure, a mapping
    from measure name to half-width, or ``None`` for the query's own targets.
    Half-widths shrink as epsilon grows, so a bisection over the micro grid on
    the closed-form plan finds the smallest one (about 24 plans, milliseconds);
    the answer is then confirmed with the exact plan and, where OpenDP's float
    rounding slack makes it fall short, raised by 0.1 % steps and bisected again.
    """
    targets = _targets(query, target)
    unknown = sorted(set(targets) - {m.name for m in query.measures})
    if unknown:
        raise UnreachableAccuracy(f"unknown measure(s) {', '.join(unknown)}")

    def meets(units: int, exact: bool) -> bool:
        planned = plan(query, _epsilon(units), catalog, bounds, max_rows=max_rows, exact=exact)
        for m in planned.measures:
            if m.name in targets and (m.half_width is None or m.half_width > targets[m.name]):
                return False
        return True

    low, high = 0, to_units(MAX_EPSILON, EPSILON_UNIT)
    if not meets(high, exact=False):
        raise UnreachableAccuracy(f"the target accuracy needs more than epsilon {MAX_EPSILON}")
    while high - low > 1:
        middle = (low + high) // 2
        if meets(middle, exact=False):
            high = middle
        else:
            low = middle
    # The closed form is optimistic, so ``low`` also fails exactly: step up, then bisect.
    while not meets(high, exact=True):
        low, high = high, high + max(1, high // 1000)
        if high > to_units(MAX_EPSILON, EPSILON_UNIT):
            raise UnreachableAccuracy(f"the target accuracy needs more than epsilon {MAX_EPSILON}")
    while high - low > 1:
        middle = (low + high) // 2
        if meets(middle, exact=True):
            high = middle
        else:
            low = middle
    return _epsilon(high)


def _epsilon(units: int) -> Epsilon:
    return Epsilon(from_units(units, EPSILON_UNIT).normalize())
