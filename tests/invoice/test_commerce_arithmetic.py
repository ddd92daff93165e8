"""The bulk path's shortcuts give exactly the shared rules' figures and bytes, to the paisa."""

import json
import random
from datetime import UTC, date, datetime

from fastapi.responses import JSONResponse

from khata.invoice.commerce_views import invoice_wire, invoices_answer
from khata.invoice.from_orders import line_tax
from khata.kit.amounts import line_amounts
from khata.kit.envelopes import commerce_ok
from khata.kit.money import from_paise, wire_paise


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


def test_wire_amounts_are_the_same_numbers_as_the_exact_decimal() -> None:
    picked = random.Random(5)
    values = [0, 1, 5, 10, 99, 100, 101, 12_345, 99_999_999_999_999, 100_000_000_000_000]
    values += [picked.randint(0, 10**14) for _ in range(50_000)]
    for paise in values:
        # The integer division answers the float of the exact Decimal, to the last digit.
        assert wire_paise(paise) == float(from_paise(paise)), paise
        assert repr(wire_paise(paise)) == repr(float(from_paise(paise))), paise


def test_bulk_answer_is_byte_for_byte_what_json_response_renders() -> None:
    now = datetime(2025, 12, 8, 20, 43, 20, 608_123, tzinfo=UTC)
    invoice = {
        "order_id": "o1",
        "entity_id": 7,
        "net_amount": 1_18_000,
        "created_by_id": "p1",
        "created_by_name": 'Rāma & Sons "quoted"',
        "created_by_type": "API_KEY",
        "meta_fields": [{"k": "ü"}],
        "created_at": now,
        "updated_at": now,
        "id": "i1",
        "invoice_number": "INV-7",
        "customer_id": "c1",
        "receivable_status": "CREATED",
        "invoice_date": date(2025, 12, 9),
        "due_date": date(2026, 1, 8),
        "base_amount": 1_00_000,
        "cgst": 9_000,
        "sgst": 9_000,
        "igst": 0,
        "total_credited": 0,
        "total_written_off": 0,
        "balance_amount": 1_18_000,
    }
    line = {
        "order_line_id": "l1",
        "quantity": 2,
        "id": "il1",
        "sku": None,
        "name": "Chai ☕",
        "hsn_code": "0902",
        "unit_price": 50_000,
        "tax_rate_bp": 1800,
        "amount": 1_00_000,
        "tax": 18_000,
    }
    found = [(invoice, [line]), ({**invoice, "id": "i2", "entity_id": 8}, [])]
    expected = JSONResponse(
        commerce_ok(
            [invoice_wire(i, lines) for i, lines in found], "Invoices created successfully", 2
        )
    ).body
    assert invoices_answer(found, "Invoices created successfully") == expected
    assert json.loads(expected)["data"][0]["createdAt"] == "2025-12-08T20:43:20.608Z"
