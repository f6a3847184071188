"""The structured result of a release: what a department may see, and nothing else.

Every number in it is a DP aggregate or public information (keys, bounds,
scales, budget). There is no exact count, record or membership signal: an empty
dataset produces a release like any other. :meth:`Release.as_dict` is
JSON-ready (decimals as strings, for exact budgets).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

from policies.budget import Epsilon, Rho


@dataclass(frozen=True, slots=True)
class Cell:
    """One released number: a measure in one group (and bin or quantile level).

    ``lower``/``upper`` bound a 95 % confidence interval for the bounded statistic;
    ``half_width`` is the larger distance from ``value`` to them. A quantile has
    instead ``rank_error``: records of rank it may miss the best candidate by.
    """

    measure: str
    kind: str
    group: dict[str, str | int]
    value: float
    half_width: float | None
    lower: float | None
    upper: float | None
    bin: str | None = None
    quantile: float | None = None
    rank_error: float | None = None


@dataclass(frozen=True, slots=True)
class Noise:
    """How one component was noised: its distribution, scale and budget share.

    ``budget`` is the component's privacy parameter: epsilon under pure DP, rho under zCDP.
    """

    measure: str
    role: str
    level: float | None
    distribution: str
    scale: float
    budget: float


@dataclass(frozen=True, slots=True)
class Truncation:
    """What bounding may have cut, as far as it can be said without spending budget.

    ``worst_case_kept`` is the smallest fraction of one citizen's records that can
    survive truncation (records bound / the catalog's declared maximum, which
    ingestion enforces); 1.0 means no record can be cut. Values are clamped to the
    catalog's bounds, which ingestion also enforces, so clamping changes nothing
    for valid records.
    """

    records_per_citizen: int
    catalog_max_records: int
    records_per_group: int | None
    groups_per_citizen: int | None
    worst_case_kept: float
    clamped_to: dict[str, tuple[float, float]]


@dataclass(frozen=True, slots=True)
class Release:
    """A differentially private release of one normalised query."""

    query: dict[str, Any]
    query_hash: str
    mechanism: str
    epsilon: Epsilon
    delta: Decimal | None
    rho: Rho | None
    noise: tuple[Noise, ...]
    cells: tuple[Cell, ...]
    truncation: Truncation

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for key in ("epsilon", "delta", "rho"):
            out[key] = None if out[key] is None else format(out[key], "f")
        return out

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), sort_keys=True)
