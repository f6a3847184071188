"""The engine's privacy-loss arithmetic: zCDP to (epsilon, delta), exact float comparisons."""

from __future__ import annotations

import math
from decimal import Decimal

import opendp.prelude as dp
import pytest

from anonymise.privacy_loss import epsilon_to_rho, exceeds, rho_to_epsilon
from policies.budget import Epsilon, Rho

dp.enable_features("contrib")


@pytest.mark.parametrize("rho", ["0.001", "0.05", "0.5", "2"])
@pytest.mark.parametrize("delta", ["1e-5", "1e-9"])
def test_rho_to_epsilon_is_the_bun_steinke_bound_rounded_up(rho: str, delta: str) -> None:
    r, d = Rho(Decimal(rho)), Decimal(delta)
    closed = float(r) + 2 * math.sqrt(float(r) * math.log(1 / float(d)))
    converted = rho_to_epsilon(r, d)
    assert closed <= float(converted) <= closed + 2e-6
    # OpenDP's own conversion is at least as tight: our figure is a sound upper bound.
    scale_for_rho = 1.0 / math.sqrt(2 * float(r))  # sensitivity 1: rho = 1 / (2 sigma^2)
    m = dp.c.make_zCDP_to_approxDP(
        dp.m.make_gaussian(
            dp.atom_domain(T=float, nan=False), dp.absolute_distance(T=float), scale_for_rho
        )
    )
    assert m.map(1.0).epsilon(float(d)) <= float(converted)


@pytest.mark.parametrize("epsilon", ["0.1", "1", "3.5"])
def test_epsilon_to_rho_is_the_largest_rho_that_fits(epsilon: str) -> None:
    eps, delta = Epsilon(Decimal(epsilon)), Decimal("1e-6")
    rho = epsilon_to_rho(eps, delta)
    assert rho_to_epsilon(rho, delta) <= eps
    assert rho_to_epsilon(Rho(rho * Decimal("1.0001")), delta) > eps


def test_float_losses_are_compared_exactly() -> None:
    assert exceeds(0.1, Decimal("0.1"))  # binary 0.1 is 0.1000000000000000055...
    assert not exceeds(0.09999999999999999, Decimal("0.1"))
    assert exceeds(float("nan"), Decimal("10"))
