"""The document's input: totals that add up, and the one line of an invoice without items."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from khata.document import Totals, single_line, totals_of


def test_totals_derive_net_payable_and_balance() -> None:
    totals = totals_of(
        taxable=5_00_000_00, cgst=45_000_00, sgst=45_000_00, igst=0, tds=10_000_00,
        received=1_00_000_00,
    )  # fmt: skip
    assert (totals.net, totals.payable, totals.balance) == (5_90_000_00, 5_80_000_00, 4_80_000_00)


@pytest.mark.parametrize(
    "wrong",
    [
        {"net": 1},  # net is not taxable + GST
        {"payable": 590_00},  # TDS not taken off
        {"balance": 590_00},  # what was received not taken off
    ],
)
def test_totals_that_do_not_add_up_are_refused(wrong: dict[str, int]) -> None:
    fields = {
        "taxable": 500_00, "cgst": 45_00, "sgst": 45_00, "igst": 0, "net": 590_00, "tds": 10_00,
        "payable": 580_00, "received": 0, "balance": 580_00,
    }  # fmt: skip
    Totals(**fields)
    with pytest.raises(ValueError):
        Totals(**{**fields, **wrong})


def test_an_invoice_without_items_shows_one_line_of_its_amounts() -> None:
    line = single_line(
        description="Consulting, March", hsn_sac="998311", base_amount=1_00_000_00,
        cgst=0, sgst=0, igst=18_000_00, gst_exclusive=True,
    )  # fmt: skip
    assert (line.quantity, line.unit_price, line.taxable_value) == (1, 1_00_000_00, 1_00_000_00)
    assert (line.gst_rate_bp, line.igst) == (1800, 18_000_00)


def test_a_gst_inclusive_base_holds_the_tax() -> None:
    line = single_line(
        description="Consulting, March", hsn_sac=None, base_amount=1_18_000_00,
        cgst=9_000_00, sgst=9_000_00, igst=0, gst_exclusive=False,
    )  # fmt: skip
    assert line.taxable_value == 1_00_000_00
    assert line.gst_rate_bp == 1800


def test_an_invoice_without_tax_shows_a_zero_rate() -> None:
    line = single_line(
        description="Exempt supply", hsn_sac=None, base_amount=0, cgst=0, sgst=0, igst=0,
        gst_exclusive=True,
    )  # fmt: skip
    assert line.gst_rate_bp == 0


@given(
    taxable=st.integers(min_value=1, max_value=10**13),
    rate_bp=st.sampled_from([0, 10, 25, 300, 500, 1200, 1800, 2800]),
)
def test_the_rate_of_a_single_line_is_the_rate_its_tax_was_computed_at(
    taxable: int, rate_bp: int
) -> None:
    tax = (taxable * rate_bp * 2 + 10_000) // 20_000  # half-up to the paisa, as invoices do
    line = single_line(
        description="x", hsn_sac=None, base_amount=taxable, cgst=0, sgst=0, igst=tax,
        gst_exclusive=True,
    )  # fmt: skip
    if taxable >= 10_000:  # below ₹100 a paisa of rounding moves the rate by more than 1 bp
        assert line.gst_rate_bp == rate_bp
