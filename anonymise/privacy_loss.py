"""Privacy-loss arithmetic the budget ledger relies on: exact, never floating point.

Epsilon lives on a grid of micro-units (1e-6) so that a ledger can store it as an
integer and decide "exactly exhausted" without rounding; losses reported by
OpenDP (floats) are rounded *up* onto that grid, amounts granted are never
rounded up. Pure-DP losses add (basic sequential composition); zCDP losses add in
rho and convert to (epsilon, delta) with the bound of Bun & Steinke (2016),
``epsilon = rho + 2 * sqrt(rho * ln(1 / delta))`` (OpenDP's own conversion is at
least as tight, so an epsilon computed here is a sound upper bound).

>>> add_epsilons(Decimal("0.1"), Decimal("0.2")) == Decimal("0.3")
True
>>> to_micro(Decimal("0.3"))
300000
>>> rho_to_epsilon(Decimal("0.005"), Decimal("1e-6"))
Decimal('0.530653')
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, localcontext

MICRO = Decimal("0.000001")
ZERO = Decimal(0)


def _checked(value: Decimal, name: str) -> Decimal:
    if not isinstance(value, Decimal) or not value.is_finite() or value < 0:
        raise ValueError(f"{name} must be a finite, non-negative Decimal, not {value!r}")
    return value


def to_micro(epsilon: Decimal) -> int:
    """An epsilon on the micro grid as an integer number of micro-units."""
    units = _checked(epsilon, "epsilon") / MICRO
    if units != units.to_integral_value():
        raise ValueError(f"{epsilon} is finer than one micro-unit")
    return int(units)


def from_micro(units: int) -> Decimal:
    """Inverse of :func:`to_micro`: ``from_micro(1)`` is ``Decimal('0.000001')``."""
    if units < 0:
        raise ValueError("a privacy loss cannot be negative")
    return (Decimal(units) * MICRO).normalize() if units else ZERO


def ceil_micro(value: float | Decimal) -> Decimal:
    """Round a loss up onto the micro grid (for losses a mechanism *incurs*).

    >>> ceil_micro(0.30000000000000004)
    Decimal('0.300001')
    """
    return _checked(Decimal(value), "loss").quantize(MICRO, rounding=ROUND_CEILING)


def floor_micro(value: float | Decimal) -> Decimal:
    """Round down onto the micro grid (for budgets a caller may *spend*)."""
    return _checked(Decimal(value), "budget").quantize(MICRO, rounding=ROUND_FLOOR)


def add_epsilons(*epsilons: Decimal) -> Decimal:
    """Exact sum of pure-DP losses (sequential composition)."""
    return from_micro(sum(to_micro(e) for e in epsilons))


def compose_rho(*rhos: Decimal) -> Decimal:
    """zCDP composes additively in rho."""
    return sum((_checked(r, "rho") for r in rhos), ZERO)


def _ln_inverse(delta: Decimal) -> Decimal:
    if not ZERO < _checked(delta, "delta") < 1:
        raise ValueError("delta must be strictly between 0 and 1")
    with localcontext() as ctx:
        ctx.prec = 40
        return (1 / delta).ln()


def rho_to_epsilon(rho: Decimal, delta: Decimal) -> Decimal:
    """The epsilon of a rho-zCDP mechanism at ``delta``, rounded up to the grid."""
    log_term = _ln_inverse(delta)
    with localcontext() as ctx:
        ctx.prec = 40
        epsilon = _checked(rho, "rho") + 2 * (rho * log_term).sqrt()
    return ceil_micro(epsilon)


def epsilon_to_rho(epsilon: Decimal, delta: Decimal) -> Decimal:
    """The largest rho whose (epsilon, delta) conversion fits in ``epsilon``.

    Inverse of :func:`rho_to_epsilon`: ``rho = (sqrt(L + eps) - sqrt(L))^2`` with
    ``L = ln(1/delta)``, rounded down (30 significant digits) so that converting
    back never exceeds ``epsilon``.
    """
    log_term = _ln_inverse(delta)
    with localcontext() as ctx:
        ctx.prec = 40
        root = (log_term + _checked(epsilon, "epsilon")).sqrt() - log_term.sqrt()
        rho = root * root
    with localcontext() as ctx:
        ctx.prec = 30
        ctx.rounding = ROUND_FLOOR
        return +rho


@dataclass(frozen=True, slots=True)
class PrivacyLoss:
    """An (epsilon, delta) loss on the micro grid; ``delta`` is 0 for pure DP."""

    epsilon: Decimal
    delta: Decimal = ZERO

    def __post_init__(self) -> None:
        to_micro(self.epsilon)
        _checked(self.delta, "delta")
        if self.delta >= 1:
            raise ValueError("delta must be below 1")

    def __add__(self, other: PrivacyLoss) -> PrivacyLoss:
        return PrivacyLoss(add_epsilons(self.epsilon, other.epsilon), self.delta + other.delta)

    def fits_in(self, budget: PrivacyLoss) -> bool:
        """Whether this loss can be paid from ``budget`` (both parts, inclusive)."""
        return self.epsilon <= budget.epsilon and self.delta <= budget.delta

    def as_dict(self) -> dict[str, str]:
        return {"epsilon": _text(self.epsilon), "delta": _text(self.delta)}


def _text(amount: Decimal) -> str:
    return format(amount.normalize(), "f") if amount else "0"


def exceeds(loss: float, budget: Decimal) -> bool:
    """Whether an OpenDP-reported float loss is above ``budget``, compared exactly.

    >>> exceeds(0.1, Decimal("0.1"))  # the float 0.1 is slightly above 1/10
    True
    """
    return math.isnan(loss) or Decimal(loss) > budget
