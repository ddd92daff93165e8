"""Money: Decimal in code, integer paise in the database, 2-decimal JSON numbers on the wire."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

PAISE = Decimal("0.01")
ZERO = Decimal("0.00")
# The largest single amount taken (just under one lakh crore rupees). Bigger numbers would not
# print back to the paisa as JSON numbers once summed into a net amount, and numbers like 1e30
# do not even fit the decimal context; both are a validation error, never a 500.
MAX_AMOUNT = Decimal("999999999999.99")


class MoneyError(ValueError):
    """An amount that is not a finite, non-negative number."""


def round_paise(amount: Decimal) -> Decimal:
    return amount.quantize(PAISE, rounding=ROUND_HALF_UP)


def to_paise(amount: Decimal) -> int:
    return int(round_paise(amount) * 100)


def from_paise(paise: int) -> Decimal:
    return (Decimal(paise) / 100).quantize(PAISE)


def parse_amount(value: object, *, allow_negative: bool = False) -> tuple[Decimal, bool]:
    """Parse an amount from JSON or a file cell.

    Answers the amount rounded half-up to paise and whether rounding changed it. A float is
    read through its shortest repr (so 0.1 stays 0.1, not 0.1000000000000000055...).
    """
    if isinstance(value, bool) or value is None:
        raise MoneyError("must be a number")
    if isinstance(value, Decimal):
        raw = value
    elif isinstance(value, int):
        raw = Decimal(value)
    elif isinstance(value, float):
        raw = Decimal(repr(value))
    elif isinstance(value, str):
        text = value.strip().replace(",", "")
        if not text:
            raise MoneyError("must be a number")
        try:
            raw = Decimal(text)
        except InvalidOperation as exc:
            raise MoneyError("must be a number") from exc
    else:
        raise MoneyError("must be a number")
    if not raw.is_finite():
        raise MoneyError("must be a finite number")
    if raw < 0 and not allow_negative:
        raise MoneyError("must not be negative")
    # copy_abs, not abs(): abs() applies the context and overflows on 1e999999999.
    if raw.copy_abs() > MAX_AMOUNT:
        raise MoneyError(f"must not exceed {MAX_AMOUNT}")
    rounded = round_paise(raw)
    return rounded, rounded != raw


def wire_paise(paise: int) -> float:
    """The one way money reaches the wire: paise as a JSON number of rupees (368478 -> 3684.78).

    int / int is correctly rounded in Python, so the float is the nearest to the exact rupee
    amount and prints back (shortest repr) with at most 2 decimals: no paisa is lost, and no
    Decimal is built per amount (a bulk answer carries some 16,000 of them).
    """
    return paise / 100


def wire(amount: Decimal) -> float:
    """A Decimal amount on the wire: rounded half-up to paise, then as `wire_paise`."""
    return wire_paise(to_paise(amount))
