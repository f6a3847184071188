"""The one vocabulary of privacy amounts, and the remaining budgets an evaluation starts from.

Epsilon and delta are :class:`~decimal.Decimal` values on fixed grids
(``EPSILON_UNIT`` = 1e-6 and ``DELTA_UNIT`` = 1e-15), never floats, so that
"exactly exhausted" and "one unit over" are decided exactly, and so that the
budget ledger can store them as integers on every database backend
(:func:`to_units` / :func:`from_units`). Losses compose additively (basic
sequential composition), which is sound for pure DP and for (epsilon, delta).
A loss a mechanism *incurs* (a float from OpenDP) is rounded up onto the grid
(:func:`ceil_units`); amounts granted are never rounded up.

:data:`Epsilon` and :data:`Rho` tell the type checker apart an epsilon (pure
or approximate DP) from a rho (zero-concentrated DP), which are never
interchangeable; the DP engine (:mod:`anonymise.privacy_loss`) converts one to
the other. This module is the lower of the two packages, so both use it.

>>> a = Cost(exact("0.1"), exact("0"))
>>> a + a + a == Cost(exact("0.3"), exact("0"))
True
>>> to_units(exact("0.3"), EPSILON_UNIT)
300000
>>> ceil_units(0.30000000000000004)
Decimal('0.300001')
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal, InvalidOperation
from typing import NewType

EPSILON_UNIT = Decimal("0.000001")
DELTA_UNIT = Decimal("1e-15")
ZERO = Decimal(0)

Epsilon = NewType("Epsilon", Decimal)
"""An epsilon: the loss of a pure-DP mechanism, or the first part of (epsilon, delta)."""
Rho = NewType("Rho", Decimal)
"""A rho: the loss of a zero-concentrated DP mechanism (Gaussian noise)."""


def exact(value: object, unit: Decimal = EPSILON_UNIT) -> Decimal:
    """Read a number exactly (floats through their shortest repr) on the ``unit`` grid.

    Raises ``ValueError`` for booleans, non-numbers, NaN, infinities, negative
    values and values finer than ``unit``:

    >>> exact(0.1)
    Decimal('0.1')
    >>> exact("0.0000001")
    Traceback (most recent call last):
    ...
    ValueError: 0.0000001 is finer than the unit 0.000001
    """
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise ValueError(f"{value!r} is not a number")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"{value!r} is not a number") from None
    if not number.is_finite():
        raise ValueError(f"{value!r} is not a finite number")
    if number < 0:
        raise ValueError(f"{value} is negative")
    if number % unit != 0:
        raise ValueError(f"{value} is finer than the unit {format(unit, 'f')}")
    return number


def text(amount: Decimal) -> str:
    """Canonical plain notation of an amount: ``4.0`` -> ``"4"``, ``1E-6`` -> ``"0.000001"``."""
    return format(amount.normalize(), "f") if amount else "0"


def to_units(amount: Decimal, unit: Decimal) -> int:
    """An amount as an integer number of units (for integer columns in the ledger)."""
    units = amount / unit
    if units != units.to_integral_value():
        raise ValueError(f"{amount} is not a multiple of {unit}")
    return int(units)


def from_units(units: int, unit: Decimal) -> Decimal:
    """Inverse of :func:`to_units`."""
    return Decimal(units) * unit


def ceil_units(value: float | Decimal, unit: Decimal = EPSILON_UNIT) -> Decimal:
    """Round a loss up onto the ``unit`` grid (for losses a mechanism *incurs*)."""
    amount = Decimal(value)
    if not amount.is_finite() or amount < 0:
        raise ValueError(f"a loss must be finite and non-negative, not {value!r}")
    return amount.quantize(unit, rounding=ROUND_CEILING)


@dataclass(frozen=True, slots=True)
class Cost:
    """An (epsilon, delta) privacy loss; delta is zero for pure DP."""

    epsilon: Decimal
    delta: Decimal = ZERO

    def __add__(self, other: Cost) -> Cost:
        return Cost(self.epsilon + other.epsilon, self.delta + other.delta)

    def __sub__(self, other: Cost) -> Cost:
        return Cost(self.epsilon - other.epsilon, self.delta - other.delta)

    def fits_in(self, other: Cost) -> bool:
        """Whether this loss can be paid from ``other`` (both parts, inclusive)."""
        return self.epsilon <= other.epsilon and self.delta <= other.delta

    def as_dict(self) -> dict[str, str]:
        return {"epsilon": text(self.epsilon), "delta": text(self.delta)}


@dataclass(frozen=True, slots=True)
class Budgets:
    """What the ledger says is left right now, the input of an evaluation.

    ``grants`` maps a policy id to what is left of its budget in its current
    period; ``city`` maps a dataset id to the epsilon left under its city-wide
    cap in the cap's current period (the cap bounds epsilon only). A grant or
    dataset missing from the mapping has an unknown balance and is denied (fail
    closed); :meth:`from_spent` builds complete mappings (with nothing spent:
    full budgets).
    """

    grants: Mapping[str, Cost] = field(default_factory=dict)
    city: Mapping[str, Decimal] = field(default_factory=dict)

    @classmethod
    def from_spent(
        cls,
        grant_budgets: Mapping[str, Cost],
        city_caps: Mapping[str, Decimal],
        spent_grants: Mapping[str, Cost] | None = None,
        spent_city: Mapping[str, Decimal] | None = None,
    ) -> Budgets:
        """Remaining = budget - spent in the current period (unspent keys are full)."""
        spent_grants = spent_grants or {}
        spent_city = spent_city or {}
        return cls(
            grants={k: v - spent_grants.get(k, Cost(ZERO)) for k, v in grant_budgets.items()},
            city={k: v - spent_city.get(k, ZERO) for k, v in city_caps.items()},
        )
