"""GST helpers: GSTIN check character, PAN format, state codes and names."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from khata.kit.gst import (
    STATE_CODES,
    gstin_check_character,
    is_valid_gstin,
    is_valid_pan,
    normalize_state,
)

_LETTERS = st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=1)
_DIGITS = st.text("0123456789", min_size=1, max_size=1)
_ENTITY = st.text("123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=1)
_ALNUM = st.text("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=1)


@st.composite
def gstin_prefixes(draw: st.DrawFn) -> str:
    state = draw(st.sampled_from(sorted(STATE_CODES)))
    pan = "".join(draw(_LETTERS) for _ in range(5)) + "".join(draw(_DIGITS) for _ in range(4))
    pan += draw(_LETTERS)
    return state + pan + draw(_ENTITY) + "Z"


def test_known_real_gstin_is_valid() -> None:
    assert is_valid_gstin("27AAPFU0939F1ZV")


@pytest.mark.parametrize(
    "value",
    [
        "27AAPFU0939F1ZW",  # wrong check character
        "27aapfu0939f1zv",  # lower case
        "99AAPFU0939F1ZV",  # no such state
        "27AAPFU0939F1Z",  # too short
        "27AAPFU0939F1XV",  # 14th character must be Z
    ],
)
def test_invalid_gstins(value: str) -> None:
    assert not is_valid_gstin(value)


@given(gstin_prefixes())
def test_computed_check_character_always_validates(prefix: str) -> None:
    assert is_valid_gstin(prefix + gstin_check_character(prefix))


@given(gstin_prefixes(), _ALNUM)
def test_any_other_check_character_is_rejected(prefix: str, other: str) -> None:
    good = gstin_check_character(prefix)
    assert is_valid_gstin(prefix + other) == (other == good)


@given(gstin_prefixes(), st.integers(min_value=2, max_value=9), _DIGITS)
def test_a_changed_pan_digit_is_caught(prefix: str, position: int, digit: str) -> None:
    full = prefix + gstin_check_character(prefix)
    index = 7 + position % 4  # one of the PAN's four digits
    changed = full[:index] + digit + full[index + 1 :]
    assert is_valid_gstin(changed) == (changed == full)


def test_pan_format() -> None:
    assert is_valid_pan("AAPFU0939F")
    assert not is_valid_pan("AAPFU0939")
    assert not is_valid_pan("aapfu0939f")
    assert not is_valid_pan("1APFU0939F")


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("29", "29"),
        ("9", "09"),
        ("Karnataka", "29"),
        ("  tamil nadu ", "33"),
        ("99", None),
        ("Atlantis", None),
    ],
)
def test_states_by_code_or_name(value: str, code: str | None) -> None:
    assert normalize_state(value) == code
