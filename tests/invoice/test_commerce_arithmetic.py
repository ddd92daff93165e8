"""The bulk path's integer shortcuts give exactly the shared rules' figures, to the paisa."""

import random

from khata.invoice.amounts import line_amounts
from khata.invoice.commerce_views import wire_amount
from khata.invoice.from_orders import line_tax
from khata.kit.money import wire_paise


def test_integer_line_tax_matches_the_decimal_rule_including_half_paise() -> None:
    picked = random.Random(4)
    cases = [(1, 5, 1000), (1, 50, 100), (3, 1_337, 500), (7, 1, 5000), (1, 999_999_999_999, 2800)]
    cases += [
        (picked.randint(1, 10_000), picked.randint(0, 10_000_000), picked.randint(0, 10_000))
        for _ in range(20_000)
    ]
    for quantity, unit_price, rate in cases:
        expected = line_amounts(quantity=quantity, unit_price=unit_price, tax_rate_bp=rate)
        assert line_tax(quantity * unit_price, rate) == expected.tax, (quantity, unit_price, rate)
    # 0.5 paise rounds up, 0.49 down.
    assert line_tax(5, 1000) == 1  # 5 paise x 10% = 0.5 paise
    assert line_tax(49, 100) == 0  # 49 paise x 1% = 0.49 paise


def test_wire_amounts_are_the_same_numbers_as_kit_money() -> None:
    picked = random.Random(5)
    values = [0, 1, 5, 10, 99, 100, 101, 12_345, 99_999_999_999_999, 100_000_000_000_000]
    values += [picked.randint(0, 10**14) for _ in range(50_000)]
    for paise in values:
        assert wire_amount(paise) == wire_paise(paise), paise
        assert repr(wire_amount(paise)) == repr(wire_paise(paise)), paise
