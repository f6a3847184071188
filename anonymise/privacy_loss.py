"""Privacy-loss arithmetic of the DP engine: zCDP to (epsilon, delta), and exact comparisons.

Amounts, their grids and their formatting are the policy language's
(:mod:`policies.budget`): epsilon on a grid of micro-units, so that a ledger
can store it as an integer and decide "exactly exhausted" without rounding.
Here: zCDP losses (rho) convert to (epsilon, delta) with the bound of Bun &
Steinke (2016), ``epsilon = rho + 2 * sqrt(rho * ln(1 / delta))`` (OpenDP's own
conversion is at least as tight, so an epsilon computed here is a sound upper
bound), and floats reported by OpenDP are compared exactly with a budget.

>>> rho_to_epsilon(Rho(Decimal("0.005")), Decimal("1e-6"))
Decimal('0.530653')
>>> epsilon_to_rho(Epsilon(Decimal("0.530653")), Decimal("1e-6")) >= Decimal("0.005")
True
"""

from __future__ import annotations

import math
from decimal import ROUND_FLOOR, Decimal, localcontext

from policies.budget import ZERO, Epsilon, Rho, ceil_units


def _checked(value: Decimal, name: str) -> Decimal:
    if not isinstance(value, Decimal) or not value.is_finite() or value < 0:
        raise ValueError(f"{name} must be a finite, non-negative Decimal, not {value!r}")
    return value


def _ln_inverse(delta: Decimal) -> Decimal:
    if not ZERO < _checked(delta, "delta") < 1:
        raise ValueError("delta must be strictly between 0 and 1")
    with localcontext() as ctx:
        ctx.prec = 40
        return (1 / delta).ln()


def rho_to_epsilon(rho: Rho, delta: Decimal) -> Epsilon:
    """The epsilon of a rho-zCDP mechanism at ``delta``, rounded up to the grid."""
    log_term = _ln_inverse(delta)
    with localcontext() as ctx:
        ctx.prec = 40
        epsilon = _checked(rho, "rho") + 2 * (rho * log_term).sqrt()
    return Epsilon(ceil_units(epsilon))


def epsilon_to_rho(epsilon: Epsilon, delta: Decimal) -> Rho:
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
        return Rho(+rho)


def exceeds(loss: float, budget: Decimal) -> bool:
    """Whether an OpenDP-reported float loss is above ``budget``, compared exactly.

    >>> exceeds(0.1, Decimal("0.1"))  # the float 0.1 is slightly above 1/10
    True
    """
    return math.isnan(loss) or Decimal(loss) > budget
