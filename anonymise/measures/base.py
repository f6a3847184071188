"""What every DP measure is, and the noisy components measures are made of.

A :class:`MeasureKind` is one statistic a department can ask for (a count, a
mean, a quantile...). It says, in one place:

- what it needs from the query and the catalog (:attr:`~MeasureKind.takes_field`,
  :attr:`~MeasureKind.parameters`, :meth:`~MeasureKind.problems`);
- which columns it derives per record before bounding (:meth:`~MeasureKind.derive`);
- how the budget share it is given becomes noisy *components*, each with its
  contribution bounding and sensitivity (:meth:`~MeasureKind.components`);
- a component's exact partial aggregate of one shard's bounded records
  (:meth:`~MeasureKind.partial`), the OpenDP measurement on the summed totals
  (:meth:`~MeasureKind.measurement`, :meth:`~MeasureKind.noisy`), its privacy
  loss from OpenDP's map (:meth:`~MeasureKind.loss`) and the noise
  distribution OpenDP draws from (:meth:`~MeasureKind.distribution`);
- the accuracy of a component at a scale, of the measure as planned, and the
  released cells with their intervals (:meth:`~MeasureKind.component_accuracy`,
  :meth:`~MeasureKind.planned_accuracy`, :meth:`~MeasureKind.cells`).

A measure may be built from others' components (a mean is a sum and a count):
each :class:`Component` carries the kind that aggregates it.

Every component is an exact aggregate of bounded records (a count, a clamped
sum, histogram bins, quantile candidate counts), noised once by OpenDP, with a
sensitivity that its bounding guarantees. Such aggregates add up across shards
of citizens, so the release engine (:mod:`anonymise.release`) has each shard
compute :meth:`~MeasureKind.partial` on its bounded records
(:mod:`anonymise.bounding`), adds the partials up, and applies the component's
OpenDP :meth:`~MeasureKind.measurement` to the totals
(:meth:`~MeasureKind.noisy`), charging :meth:`~MeasureKind.loss`: OpenDP's
privacy map at the sensitivity the bounding guarantees.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import product
from typing import Any, ClassVar

import numpy as np
import opendp.prelude as dp
import polars as pl

from anonymise.accuracy import ALPHA, half_width
from anonymise.query_values import Measure, Query, allowed_keys
from anonymise.result import Cell
from anonymise.sensitivity import ContributionBounds, Spread, spread
from policies.catalog import DatasetSpec, FieldSpec

dp.enable_features("contrib")

VALUE = "value"
KEY = "__key"  # a bounded record's position in its component's key list
SAFETY = 1 - 1e-9  # shrinks every share so OpenDP's float rounding of the sum stays within it

GroupKey = tuple[str | int, ...]
DEFAULT_MAX_ROWS = 10_000_000  # public bound on bounded records (exact sums stay exact below it)


@dataclass(frozen=True, slots=True)
class Setting:
    """What a measure's components depend on besides the measure itself."""

    query: Query
    dataset: DatasetSpec
    bounds: ContributionBounds
    keys: tuple[GroupKey, ...]
    max_rows: int = DEFAULT_MAX_ROWS

    @classmethod
    def of(
        cls,
        query: Query,
        dataset: DatasetSpec,
        bounds: ContributionBounds,
        max_rows: int = DEFAULT_MAX_ROWS,
    ) -> Setting:
        """Every combination of the group-by fields' public keys (after filters)."""
        per_field = [allowed_keys(dataset.fields[name], query.filters) for name in query.group_by]
        return cls(query, dataset, bounds, tuple(product(*per_field)), max_rows)

    @property
    def pure(self) -> bool:
        """Pure DP (Laplace, composing in epsilon) rather than zCDP (Gaussian, in rho)."""
        return self.query.mechanism == "laplace"

    def field(self, measure: Measure) -> FieldSpec | None:
        return self.dataset.fields[measure.field] if measure.field else None


@dataclass(frozen=True, slots=True)
class Component:
    """One noisy aggregate; ``sensitivity`` is in the unit its scale formula needs.

    ``share`` is its fraction of the query's privacy parameter (epsilon under
    pure DP, rho under zCDP); ``aggregation`` is the kind that aggregates it.
    """

    measure: str
    role: str
    field: str | None
    level: float | None
    group_by: tuple[str, ...]
    keys: tuple[GroupKey, ...]
    share: float
    sensitivity: float
    distribution: str
    aggregation: MeasureKind = dataclasses.field(compare=False, repr=False)
    spread: Spread
    bins: tuple[float, ...] = ()
    candidates: tuple[float, ...] = ()
    quantum: float = 1.0  # a float sum's fixed-point step (exact, order-free addition)
    low: float = 0.0  # the field's catalog bounds (values are clamped to them)
    high: float = 0.0

    @property
    def n_keys(self) -> int:
        return len(self.released_keys())

    def scale(self, parameter: float, mechanism: str) -> float:
        """Closed-form noise scale for this component's privacy parameter."""
        if mechanism == "laplace":
            return self.sensitivity / parameter
        return self.sensitivity / math.sqrt(self.aggregation.zcdp_factor * parameter)

    def loss(self, scale: float, mechanism: str) -> float:
        """Inverse of :meth:`scale`: the privacy parameter a given scale uses."""
        if mechanism == "laplace":
            return self.sensitivity / scale
        return (self.sensitivity / scale) ** 2 / self.aggregation.zcdp_factor

    def released_keys(self) -> tuple[GroupKey, ...]:
        """The keys its values come in (one empty key when ungrouped)."""
        return self.keys if self.group_by else ((),)


@dataclass(frozen=True, slots=True)
class Output:
    """One component's released values (in key order) and the scale it used."""

    component: Component
    values: list[Any]
    scale: float


@dataclass(frozen=True, slots=True)
class Accuracy:
    """A 95 % half-width, or for a quantile the rank error, of a component or measure."""

    half_width: float | None = None
    rank_error: float | None = None


class MeasureKind:
    """One kind of DP measure; subclasses set the class attributes and override methods."""

    name: ClassVar[str]
    label: ClassVar[str]  # for people, e.g. "Mean"
    role: ClassVar[str]  # the component role it aggregates (in the release's noise list)
    takes_field: ClassVar[bool] = True
    parameters: ClassVar[tuple[str, ...]] = ()  # query keys only this kind takes
    alpha: ClassVar[float] = ALPHA  # level of each component's interval
    rank_accuracy: ClassVar[bool] = False  # accuracy is a rank error, not a half-width
    one_per_group: ClassVar[bool] = False  # one record per citizen and group (distinct)
    zcdp_factor: ClassVar[float] = 2.0  # rho = (sensitivity / scale)^2 / factor

    # -- what it needs from the query and the catalog ----------------------------

    def problems(self, measure: Mapping[str, Any], spec: FieldSpec) -> list[tuple[str, str]]:
        """(key, message) for each way a well-formed measure of this kind misuses its field."""
        return []

    def normal_form(self, measure: Measure) -> Measure:
        """The same statistic in its one canonical spelling (for the query hash)."""
        return measure

    # -- records ------------------------------------------------------------------

    def derived_columns(self, measure: Measure) -> dict[str, pl.DataType]:
        """Columns :meth:`derive` adds to the prepared frame."""
        return {}

    def derive(self, frame: pl.DataFrame, measure: Measure) -> pl.DataFrame:
        """A per-record map before bounding (it must not look across citizens)."""
        return frame

    # -- bounding, sensitivity, noise ---------------------------------------------

    def components(self, measure: Measure, share: float, setting: Setting) -> list[Component]:
        """The noisy components of ``measure`` given ``share`` of the privacy parameter."""
        return [self.component(measure, share, setting)]

    def component(
        self,
        measure: Measure,
        share: float,
        setting: Setting,
        *,
        keys: tuple[GroupKey, ...] | None = None,
        group_by: tuple[str, ...] | None = None,
        bins: tuple[float, ...] = (),
        level: float | None = None,
        part: float = 1.0,
    ) -> Component:
        """One component aggregated by this kind, with the sensitivity its bounding allows.

        Per-group and group-count bounds apply only to a grouping, and the group
        count bound only to a grouping by exactly the query's fields.
        """
        query = setting.query
        keys = setting.keys if keys is None else keys
        group_by = query.group_by if group_by is None else group_by
        grouped = bool(query.group_by)
        bounds = (
            setting.bounds if grouped else ContributionBounds(setting.bounds.records_per_citizen)
        )
        s = spread(
            bounds,
            len(keys),
            bounded_groups=grouped and group_by == query.group_by,
            distinct=self.one_per_group,
        )
        spec = setting.field(measure)
        low, high = field_bounds(spec)
        return Component(
            measure=measure.name,
            role=self.role,
            field=measure.field,
            level=level,
            group_by=group_by,
            keys=keys,
            share=share * part * SAFETY,
            sensitivity=self.sensitivity(s, spec, setting.pure, level),
            distribution=self.distribution(spec, query.mechanism),
            aggregation=self,
            spread=s,
            bins=bins,
            candidates=self.candidates(spec),
            quantum=self.quantum(spec, setting.max_rows),
            low=low,
            high=high,
        )

    def sensitivity(
        self, s: Spread, spec: FieldSpec | None, pure: bool, level: float | None
    ) -> float:
        """L1 (pure DP) or L2 (zCDP) sensitivity of one citizen's bounded records."""
        return float(s.l1) if pure else s.l2

    def distribution(self, spec: FieldSpec | None, mechanism: str) -> str:
        """The noise distribution OpenDP draws for this kind's components."""
        return "discrete_laplace" if mechanism == "laplace" else "discrete_gaussian"

    def candidates(self, spec: FieldSpec | None) -> tuple[float, ...]:
        """Public candidate values (quantiles only)."""
        return ()

    def quantum(self, spec: FieldSpec | None, max_rows: int) -> float:
        """A float sum's fixed-point step (1.0 for everything else)."""
        return 1.0

    def partial(self, component: Component, keyed: pl.DataFrame) -> np.ndarray:
        """The exact, additive aggregate of one shard's bounded records (``KEY`` column set)."""
        return per_key(keyed, pl.len(), component.n_keys)

    def d_in(self, component: Component, pure: bool) -> float | int:
        """The sensitivity OpenDP's map is asked at: L1 (pure DP) or L2 (zCDP) of the totals."""
        return int(component.spread.l1) if pure else float(component.spread.l2)

    def measurement(self, component: Component, scale: float, mechanism: str) -> Any:
        """OpenDP's noise on the component's totals (a vector of integers, one per key)."""
        domain = dp.vector_domain(dp.atom_domain(T="i64"))
        if mechanism == "laplace":
            return dp.m.make_laplace(domain, dp.l1_distance(T="i64"), scale)
        return dp.m.make_gaussian(domain, dp.l2_distance(T=float), scale)

    def loss(self, component: Component, measurement: Any, mechanism: str) -> float:
        """OpenDP's privacy map of :meth:`measurement` at the bounded sensitivity."""
        return float(measurement.map(self.d_in(component, mechanism == "laplace")))

    def noisy(self, component: Component, measurement: Any, total: np.ndarray) -> list[Any]:
        """The released values, in key order: OpenDP's measurement of the totals."""
        released: list[Any] = measurement([int(v) for v in total])
        return released

    # -- accuracy -------------------------------------------------------------------

    def component_accuracy(self, component: Component, scale: float, alpha: float) -> Accuracy:
        """The accuracy of one of this kind's components at ``scale``."""
        return Accuracy(half_width=half_width(component.distribution, scale, alpha))

    def planned_accuracy(
        self, measure: Measure, parts: list[Accuracy], low: float, high: float
    ) -> Accuracy:
        """The measure's expected accuracy from its components'."""
        return Accuracy(half_width=parts[0].half_width)

    def cells(
        self,
        measure: Measure,
        outputs: list[Output],
        group_by: tuple[str, ...],
        low: float,
        high: float,
    ) -> list[Cell]:
        """The released cells, post-processed (which cannot weaken the guarantee)."""
        return additive_cells(measure, outputs[0], group_by, self.alpha, nonnegative=True)


def field_bounds(spec: FieldSpec | None) -> tuple[float, float]:
    """A numeric field's catalog bounds ((0, 0) for none)."""
    if spec is None or spec.low is None or spec.high is None:
        return 0.0, 0.0
    return float(spec.low), float(spec.high)


def per_key(keyed: pl.DataFrame, agg: pl.Expr, n_keys: int) -> np.ndarray:
    """``agg`` per key position, as an int64 vector with a zero for every absent key."""
    out = np.zeros(n_keys, dtype=np.int64)
    if keyed.height:
        found = keyed.group_by(KEY).agg(agg.cast(pl.Int64).alias(VALUE))
        out[found[KEY].to_numpy()] = found[VALUE].to_numpy()
    return out


def additive_cells(
    measure: Measure,
    out: Output,
    group_by: tuple[str, ...],
    alpha: float,
    *,
    nonnegative: bool,
    binned: bool = False,
) -> list[Cell]:
    """Cells of a count-like or sum component: clamped at 0 where it cannot be negative."""
    comp = out.component
    hw = half_width(comp.distribution, out.scale, alpha)
    cells = []
    for key, raw in zip(comp.released_keys(), out.values, strict=True):
        value = max(raw, 0) if nonnegative else raw
        cells.append(
            Cell(
                measure=measure.name,
                kind=measure.kind,
                group=dict(zip(group_by, key, strict=False)),
                value=value,
                half_width=hw,
                lower=max(value - hw, 0) if nonnegative else value - hw,
                upper=value + hw,
                bin=str(key[-1]) if binned else None,
            )
        )
    return cells
