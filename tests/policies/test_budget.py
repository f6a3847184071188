"""Exact privacy-loss arithmetic: no float rounding at the budget boundaries."""

from __future__ import annotations

from decimal import Decimal

import pytest

from policies.budget import (
    DELTA_UNIT,
    EPSILON_UNIT,
    Budgets,
    Cost,
    ceil_units,
    exact,
    from_units,
    to_units,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.1, "0.1"),
        ("0.000001", "0.000001"),
        (3, "3"),
        ("1e-6", "0.000001"),
        (Decimal("2.5"), "2.5"),
    ],
)
def test_exact_reads_numbers_without_float_error(value, expected: str) -> None:
    assert exact(value) == Decimal(expected)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (True, "not a number"),
        ("abc", "not a number"),
        (None, "not a number"),
        (float("nan"), "not a finite number"),
        (float("inf"), "not a finite number"),
        (-0.5, "negative"),
        ("0.0000005", "finer than the unit"),
    ],
)
def test_exact_refuses_what_is_not_an_amount(value, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        exact(value)


def test_ten_tenths_are_exactly_one() -> None:
    total = sum((Cost(exact(0.1)) for _ in range(10)), Cost(Decimal(0)))
    assert total == Cost(Decimal(1))
    assert sum([0.1] * 10) != 1.0  # what floats would have done


@pytest.mark.parametrize(
    ("left", "asked", "fits"),
    [
        ("0.5", "0.5", True),  # exactly exhausted
        ("0.5", "0.500001", False),  # one unit over
        ("0.5", "0.499999", True),
        ("0", "0.000001", False),
    ],
)
def test_fits_in_at_the_boundary(left: str, asked: str, fits: bool) -> None:
    assert Cost(exact(asked)).fits_in(Cost(exact(left))) is fits


def test_delta_is_checked_as_well() -> None:
    left = Cost(exact(1), exact("1e-6", DELTA_UNIT))
    assert Cost(exact(1), exact("1e-6", DELTA_UNIT)).fits_in(left)
    assert not Cost(exact(1), exact("1.000000001e-6", DELTA_UNIT)).fits_in(left)


def test_units_round_trip_for_integer_storage() -> None:
    assert to_units(exact("4.000001"), EPSILON_UNIT) == 4_000_001
    assert from_units(4_000_001, EPSILON_UNIT) == exact("4.000001")
    assert to_units(exact("1e-9", DELTA_UNIT), DELTA_UNIT) == 1_000_000
    with pytest.raises(ValueError, match="not a multiple"):
        to_units(Decimal("0.0000001"), EPSILON_UNIT)


def test_remaining_budgets_from_spending() -> None:
    budgets = Budgets.from_spent(
        {"a": Cost(exact(4)), "b": Cost(exact(2))},
        {"trips": exact(6)},
        spent_grants={"a": Cost(exact("3.5"))},
        spent_city={"trips": exact("5.999999")},
    )
    assert budgets.grants == {"a": Cost(exact("0.5")), "b": Cost(exact(2))}
    assert budgets.city == {"trips": exact("0.000001")}


def test_incurred_losses_round_up_onto_the_grid() -> None:
    assert ceil_units(0.1000000001) == Decimal("0.100001")
    assert ceil_units(Decimal("0.5")) == Decimal("0.5")
    assert ceil_units(1e-20, DELTA_UNIT) == DELTA_UNIT
    for bad in (float("nan"), float("inf"), -0.1):
        with pytest.raises(ValueError, match="finite and non-negative"):
            ceil_units(bad)
