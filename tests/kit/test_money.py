"""Money helpers: exact paise, half-up rounding, refusal of NaN/Infinity/negatives."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from khata.kit.money import MoneyError, from_paise, parse_amount, round_paise, to_paise, wire


@pytest.mark.parametrize(
    ("raw", "expected", "rounded"),
    [
        (3684.78, Decimal("3684.78"), False),
        ("3684.78", Decimal("3684.78"), False),
        (0.1, Decimal("0.10"), False),  # the float's shortest repr, not 0.1000000000000000055
        (2.675, Decimal("2.68"), True),  # half-up on the decimal value, not the binary float
        ("1.005", Decimal("1.01"), True),
        ("1.004", Decimal("1.00"), True),
        (100, Decimal("100.00"), False),
        ("1,23,456.50", Decimal("123456.50"), False),  # Indian digit grouping in files
        (Decimal("0.125"), Decimal("0.13"), True),
    ],
)
def test_parse_amount_rounds_half_up_to_paise(
    raw: object, expected: Decimal, rounded: bool
) -> None:
    assert parse_amount(raw) == (expected, rounded)


@pytest.mark.parametrize(
    "raw", [float("nan"), float("inf"), "NaN", "Infinity", "-Infinity", "abc", "", None, True, [1]]
)
def test_parse_amount_refuses_non_numbers(raw: object) -> None:
    with pytest.raises(MoneyError):
        parse_amount(raw)


@pytest.mark.parametrize("raw", [1e30, "1e30", "1000000000000", 10**13, -1e30, "999999999999.995"])
def test_parse_amount_refuses_amounts_beyond_the_maximum(raw: object) -> None:
    with pytest.raises(MoneyError, match=r"must not exceed 999999999999\.99"):
        parse_amount(raw, allow_negative=True)


def test_parse_amount_takes_the_maximum_itself() -> None:
    assert parse_amount("999999999999.99") == (Decimal("999999999999.99"), False)


def test_negative_amounts_are_refused_unless_allowed() -> None:
    with pytest.raises(MoneyError, match="negative"):
        parse_amount("-5")
    assert parse_amount("-5", allow_negative=True) == (Decimal("-5.00"), False)


@given(st.integers(min_value=0, max_value=10**15))
def test_paise_round_trip_is_exact(paise: int) -> None:
    assert to_paise(from_paise(paise)) == paise


@given(st.decimals(min_value=0, max_value=10**12, allow_nan=False, allow_infinity=False, places=6))
def test_rounding_never_moves_more_than_half_a_paisa(amount: Decimal) -> None:
    assert abs(round_paise(amount) - amount) <= Decimal("0.005")


@given(st.integers(min_value=0, max_value=10**13))
def test_wire_number_prints_back_as_the_same_two_decimals(paise: int) -> None:
    amount = from_paise(paise)
    assert Decimal(repr(wire(amount))).quantize(Decimal("0.01")) == amount


@pytest.mark.parametrize("raw", ["1e999999999", "9" * 400, 1e308])
def test_astronomic_amounts_are_refused_not_crashed(raw: object) -> None:
    with pytest.raises(MoneyError, match="must not exceed"):
        parse_amount(raw)


def test_vanishingly_small_amounts_round_to_zero_with_a_flag() -> None:
    assert parse_amount("1e-999999999") == (Decimal("0.00"), True)
