"""The query as plain values: measures, filters, and the public keys a filter leaves.

These are what :class:`anonymise.query.QuerySchema` builds; the measure kinds
(:mod:`anonymise.measures`) read them, so they live below both.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from policies.catalog import FieldSpec


@dataclass(frozen=True, slots=True)
class Measure:
    """One statistic; ``quantiles`` holds the levels of a quantile (median: 0.5)."""

    kind: str
    name: str
    field: str | None = None
    bins: tuple[float, ...] = ()
    quantiles: tuple[float, ...] = ()
    weight: int = 1
    target_half_width: float | None = None
    expected_records: int | None = None


@dataclass(frozen=True, slots=True)
class Filter:
    """Keep records whose public ``field`` is in ``values`` or ``between`` two bounds."""

    field: str
    values: tuple[str | int, ...] = ()
    between: tuple[str | int, str | int] | None = None


@dataclass(frozen=True, slots=True)
class Query:
    """A validated query; ``delta`` is set only for the Gaussian (zCDP) mechanism."""

    dataset: str
    purpose: str
    measures: tuple[Measure, ...]
    group_by: tuple[str, ...] = ()
    filters: tuple[Filter, ...] = ()
    epsilon: Decimal | None = None
    mechanism: str = "laplace"
    delta: Decimal | None = None


def allowed_keys(spec: FieldSpec, filters: tuple[Filter, ...]) -> tuple[str | int, ...]:
    """The public keys of a field left after the filters, in domain order.

    These are released whether or not any record has them, so they reveal nothing.
    """
    keys: tuple[str | int, ...] = spec.public_keys()
    for flt in filters:
        if flt.field != spec.name:
            continue
        if flt.between is not None:
            first, last = keys.index(flt.between[0]), keys.index(flt.between[1])
            keys = keys[first : last + 1]
        else:
            keys = tuple(k for k in keys if k in flt.values)
    return keys
