"""Property tests of the credit-note arithmetic (credit/split.py): whatever the invoice and
however it is credited in steps, by amount or by line units, every note's parts add up to its
amount, no GST part is ever reversed beyond the invoice's, and crediting everything reverses
exactly the invoice's own taxable value, CGST, SGST and IGST."""

from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from khata.credit.split import CreditParts, InvoiceTax, by_amount, by_lines, line_share
from khata.kit.amounts import GstSplit, line_amounts, split_gst


@st.composite
def invoices(draw: st.DrawFn) -> InvoiceTax:
    base = draw(st.integers(min_value=1, max_value=10**9))
    tax = draw(st.integers(min_value=0, max_value=base))
    gst = split_gst(tax, intra_state=draw(st.booleans()))
    return InvoiceTax(
        cgst=gst.cgst, sgst=gst.sgst, igst=gst.igst, net=base + tax, gst_exclusive=True
    )


def _steps(draw: st.DrawFn, total: int) -> list[int]:
    cuts = sorted(draw(st.lists(st.integers(min_value=1, max_value=total - 1), max_size=6)))
    points = [0, *dict.fromkeys(cuts), total]
    return [b - a for a, b in pairwise(points) if b > a]


def _check_running(invoice: InvoiceTax, notes: list[CreditParts]) -> GstSplit:
    done = GstSplit(0, 0, 0)
    for note in notes:
        assert min(note.taxable, note.cgst, note.sgst, note.igst) >= 0
        done = GstSplit(done.cgst + note.cgst, done.sgst + note.sgst, done.igst + note.igst)
        assert done.cgst <= invoice.cgst and done.sgst <= invoice.sgst
        assert done.igst <= invoice.igst
        if invoice.igst:
            assert note.cgst == note.sgst == 0
    return done


@given(st.data(), invoices())
def test_amount_credits_in_steps_reverse_exactly_the_invoices_parts(
    data: st.DataObject, invoice: InvoiceTax
) -> None:
    steps = _steps(data.draw, invoice.net) if invoice.net > 1 else [invoice.net]
    notes: list[CreditParts] = []
    credited = 0
    for amount in steps:
        before = GstSplit(
            sum(n.cgst for n in notes), sum(n.sgst for n in notes), sum(n.igst for n in notes)
        )
        note = by_amount(amount, invoice, credited_before=credited, before=before)
        assert note.amount == amount
        notes.append(note)
        credited += amount
    done = _check_running(invoice, notes)
    assert done == GstSplit(invoice.cgst, invoice.sgst, invoice.igst)
    assert sum(n.taxable for n in notes) == invoice.net - invoice.tax


@given(
    st.integers(min_value=1, max_value=50),
    st.integers(min_value=0, max_value=10**7),
    st.sampled_from([0, 500, 1200, 1800, 2800]),
    st.booleans(),
    st.data(),
)
def test_line_credits_unit_by_unit_reverse_exactly_the_line(
    quantity: int, unit_price: int, rate_bp: int, intra: bool, data: st.DataObject
) -> None:
    line = line_amounts(quantity=quantity, unit_price=unit_price, tax_rate_bp=rate_bp)
    gst = split_gst(line.tax, intra_state=intra)
    invoice = InvoiceTax(
        cgst=gst.cgst,
        sgst=gst.sgst,
        igst=gst.igst,
        net=line.amount + line.tax,
        gst_exclusive=True,
    )
    steps = _steps(data.draw, quantity) if quantity > 1 else [1]
    notes: list[CreditParts] = []
    credited = 0
    for units in steps:
        share = line_share(
            line_quantity=quantity,
            line_amount=line.amount,
            line_tax=line.tax,
            credited=credited,
            quantity=units,
        )
        before = GstSplit(
            sum(n.cgst for n in notes), sum(n.sgst for n in notes), sum(n.igst for n in notes)
        )
        notes.append(by_lines([share], invoice, before=before))
        credited += units
    done = _check_running(invoice, notes)
    assert done == GstSplit(invoice.cgst, invoice.sgst, invoice.igst)
    assert sum(n.taxable for n in notes) == line.amount
