"""Exact privacy-loss arithmetic for the ledger: micro-units, zCDP composition and conversion."""

from __future__ import annotations

import math
from decimal import Decimal

import opendp.prelude as dp
import pytest

from anonymise.privacy_loss import (
    PrivacyLoss,
    add_epsilons,
    ceil_micro,
    compose_rho,
    epsilon_to_rho,
    exceeds,
    floor_micro,
    from_micro,
    rho_to_epsilon,
    to_micro,
)

dp.enable_features("contrib")


def test_ten_tenths_make_exactly_one() -> None:
    assert add_epsilons(*[Decimal("0.1")] * 10) == Decimal(1)
    assert sum([0.1] * 10) != 1.0  # what floats would have done


def test_micro_units_round_trip() -> None:
    for units in (0, 1, 999_999, 6_000_000):
        assert to_micro(from_micro(units)) == units
    with pytest.raises(ValueError, match="finer"):
        to_micro(Decimal("0.0000001"))
    with pytest.raises(ValueError):
        to_micro(Decimal("-1"))


def test_incurred_losses_round_up_and_budgets_round_down() -> None:
    assert ceil_micro(0.1000000001) == Decimal("0.100001")
    assert floor_micro(0.1000009) == Decimal("0.100000")
    assert ceil_micro(Decimal("0.5")) == Decimal("0.5")


def test_privacy_loss_adds_and_fits() -> None:
    total = PrivacyLoss(Decimal("0.3")) + PrivacyLoss(Decimal("0.7"), Decimal("1e-7"))
    assert total == PrivacyLoss(Decimal("1"), Decimal("1e-7"))
    assert total.fits_in(PrivacyLoss(Decimal("1"), Decimal("1e-7")))
    assert not total.fits_in(PrivacyLoss(Decimal("0.999999"), Decimal("1e-7")))
    assert total.as_dict() == {"epsilon": "1", "delta": "0.0000001"}


def test_rho_composes_additively() -> None:
    assert compose_rho(Decimal("0.01"), Decimal("0.02"), Decimal("0.03")) == Decimal("0.06")


@pytest.mark.parametrize("rho", ["0.001", "0.05", "0.5", "2"])
@pytest.mark.parametrize("delta", ["1e-5", "1e-9"])
def test_rho_to_epsilon_is_the_bun_steinke_bound_rounded_up(rho: str, delta: str) -> None:
    r, d = Decimal(rho), Decimal(delta)
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
    eps, delta = Decimal(epsilon), Decimal("1e-6")
    rho = epsilon_to_rho(eps, delta)
    assert rho_to_epsilon(rho, delta) <= eps
    assert rho_to_epsilon(rho * Decimal("1.0001"), delta) > eps


def test_float_losses_are_compared_exactly() -> None:
    assert exceeds(0.1, Decimal("0.1"))  # binary 0.1 is 0.1000000000000000055...
    assert not exceeds(0.09999999999999999, Decimal("0.1"))
    assert exceeds(float("nan"), Decimal("10"))
