"""Figures on the tax invoice: Indian digit grouping, ₹, words in the Indian system, rates."""

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from khata.document.figures import (
    amount_in_words,
    group_indian,
    gst_rate,
    number_in_words,
    rupees,
    state_label,
)
from khata.kit.money import MAX_AMOUNT, to_paise

MAX_PAISE = to_paise(MAX_AMOUNT)
_GROUPED = re.compile(r"^-?(\d{1,2}(,\d{2})*,\d{3}|\d{1,3})\.\d{2}$")


@pytest.mark.parametrize(
    ("paise", "grouped"),
    [
        (0, "0.00"),
        (5, "0.05"),
        (99_999, "999.99"),
        (1_000_00, "1,000.00"),
        (1_23_456_70, "1,23,456.70"),
        (1_23_45_678_90, "1,23,45,678.90"),
        (12_34_56_789_00, "12,34,56,789.00"),
        (99_999_99_99_999_99, "9,99,99,99,99,999.99"),
        (-1_23_456_70, "-1,23,456.70"),
    ],
)
def test_amounts_use_indian_digit_grouping(paise: int, grouped: str) -> None:
    assert group_indian(paise) == grouped


def test_rupees_put_the_sign_before_the_figures() -> None:
    assert rupees(1_23_45_678_90) == "₹1,23,45,678.90"
    assert rupees(-5_00) == "-₹5.00"


@given(st.integers(min_value=-MAX_PAISE, max_value=MAX_PAISE))
def test_grouping_reads_back_as_the_same_paise(paise: int) -> None:
    grouped = group_indian(paise)
    assert _GROUPED.match(grouped), grouped
    assert int(grouped.replace(",", "").replace(".", "")) == paise


@pytest.mark.parametrize(
    ("paise", "words"),
    [
        (0, "Rupees Zero Only"),
        (50, "Rupees Zero and Fifty Paise Only"),
        (1_00, "Rupees One Only"),
        (21_00, "Rupees Twenty-One Only"),
        (1_05_01, "Rupees One Hundred Five and One Paise Only"),
        (
            1_23_456_70,
            "Rupees One Lakh Twenty-Three Thousand Four Hundred Fifty-Six and Seventy Paise Only",
        ),
        (
            12_34_56_789_00,
            "Rupees Twelve Crore Thirty-Four Lakh Fifty-Six Thousand Seven Hundred "
            "Eighty-Nine Only",
        ),
        (10_00_00_000_00, "Rupees Ten Crore Only"),
        (1_00_00_000_00_00, "Rupees One Hundred Crore Only"),
        (10_00_00_00_000_00, "Rupees One Thousand Crore Only"),
        (
            99_999_99_99_999_99,
            "Rupees Ninety-Nine Thousand Nine Hundred Ninety-Nine Crore Ninety-Nine Lakh "
            "Ninety-Nine Thousand Nine Hundred Ninety-Nine and Ninety-Nine Paise Only",
        ),
    ],
)  # fmt: skip
def test_amounts_in_words_follow_the_indian_system(paise: int, words: str) -> None:
    assert amount_in_words(paise) == words


def test_a_negative_amount_has_no_words() -> None:
    with pytest.raises(ValueError):
        amount_in_words(-1)


_NUMBER_WORDS = {
    "Zero", "One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine", "Ten",
    "Eleven", "Twelve", "Thirteen", "Fourteen", "Fifteen", "Sixteen", "Seventeen", "Eighteen",
    "Nineteen", "Twenty", "Thirty", "Forty", "Fifty", "Sixty", "Seventy", "Eighty", "Ninety",
    "Hundred", "Thousand", "Lakh", "Crore",
}  # fmt: skip


def _value_of(words: str) -> int:
    """Reads Indian-system words back into a number (the inverse the property tests use)."""
    units = {
        "Zero": 0, "One": 1, "Two": 2, "Three": 3, "Four": 4, "Five": 5, "Six": 6, "Seven": 7,
        "Eight": 8, "Nine": 9, "Ten": 10, "Eleven": 11, "Twelve": 12, "Thirteen": 13,
        "Fourteen": 14, "Fifteen": 15, "Sixteen": 16, "Seventeen": 17, "Eighteen": 18,
        "Nineteen": 19, "Twenty": 20, "Thirty": 30, "Forty": 40, "Fifty": 50, "Sixty": 60,
        "Seventy": 70, "Eighty": 80, "Ninety": 90,
    }  # fmt: skip
    scales = {"Hundred": 100, "Thousand": 1_000, "Lakh": 100_000, "Crore": 10_000_000}
    total, current = 0, 0
    for token in words.replace("-", " ").split():
        if token in units:
            current += units[token]
        elif token == "Crore":
            total = (total + current) * scales[token]
            current = 0
        elif token == "Hundred":
            current *= 100
        else:
            total += current * scales[token]
            current = 0
    return total + current


@given(st.integers(min_value=0, max_value=MAX_PAISE))
def test_words_read_back_as_the_amount_and_are_well_formed(paise: int) -> None:
    words = amount_in_words(paise)
    assert "  " not in words
    assert words.startswith("Rupees ") and words.endswith(" Only")
    rupee_words, _, paise_words = (
        words.removeprefix("Rupees ").removesuffix(" Only").partition(" and ")
    )
    assert _value_of(rupee_words) == paise // 100
    if paise % 100:
        assert paise_words.endswith(" Paise")
        assert _value_of(paise_words.removesuffix(" Paise")) == paise % 100
    else:
        assert paise_words == ""
    for token in rupee_words.replace("-", " ").split():
        assert token in _NUMBER_WORDS


@given(st.integers(min_value=0, max_value=10**15))
def test_every_number_below_a_lakh_crore_has_words(number: int) -> None:
    assert _value_of(number_in_words(number)) == number


@pytest.mark.parametrize(
    ("rate_bp", "text"), [(0, "0%"), (25, "0.25%"), (300, "3%"), (250, "2.5%"), (1800, "18%")]
)
def test_gst_rates_read_as_percentages(rate_bp: int, text: str) -> None:
    assert gst_rate(rate_bp) == text


def test_place_of_supply_is_the_state_name_and_code() -> None:
    assert state_label("29") == "Karnataka (29)"
    assert state_label("27") == "Maharashtra (27)"
    assert state_label("99") == "99 (99)"
