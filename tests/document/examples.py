"""Tax invoices to render in tests and benchmarks: intra-state, inter-state, TDS, unregistered."""

from dataclasses import replace
from datetime import UTC, date, datetime

from khata.document import (
    BankAccount,
    Line,
    Recipient,
    Supplier,
    TaxInvoice,
    single_line,
    totals_of,
)
from khata.kit.amounts import line_amounts, split_gst

SUPPLIER = Supplier(
    legal_name="Kaveri Textiles & Sons Pvt Ltd",
    address="12, 3rd Cross, Peenya Industrial Area\nBengaluru 560058",
    gstin="29AAGCK1234M1Z5",
    state_code="29",
    upi_id="kaveritex@okicici",
    bank_account=BankAccount(
        account_name="Kaveri Textiles & Sons Pvt Ltd",
        account_number="50200012345678",
        ifsc="HDFC0001234",
        bank_name="HDFC Bank",
    ),
    authorised_signatory="Lakshmi Narayan",
    invoice_footer="Goods once sold are returned only against a credit note.",
)
RECIPIENT_KA = Recipient(
    legal_name="Malnad Garments LLP",
    address="Plot 7, KIADB, Hassan 573201",
    gstin="29AAJFM5678Q1Z2",
    state_code="29",
)
RECIPIENT_MH = Recipient(
    legal_name="Sahyadri Retail Pvt Ltd",
    address="Unit 402, Lodha Supremus, Lower Parel, Mumbai 400013",
    gstin="27AAKCS9012R1ZX",
    state_code="27",
)
LAST_CHANGED_AT = datetime(2026, 3, 5, 10, 15, 30, tzinfo=UTC)


def item_line(description: str, hsn: str, quantity: int, unit_price: int, *, intra: bool) -> Line:
    amounts = line_amounts(quantity=quantity, unit_price=unit_price, tax_rate_bp=1800)
    split = split_gst(amounts.tax, intra_state=intra)
    return Line(
        description=description,
        hsn_sac=hsn,
        quantity=quantity,
        unit_price=unit_price,
        taxable_value=amounts.amount,
        gst_rate_bp=1800,
        cgst=split.cgst,
        sgst=split.sgst,
        igst=split.igst,
    )


def invoice(
    lines: tuple[Line, ...],
    *,
    recipient: Recipient = RECIPIENT_KA,
    tds: int = 0,
    received: int = 0,
    supplier: Supplier = SUPPLIER,
    number: str = "KT/2025-26/0042",
) -> TaxInvoice:
    totals = totals_of(
        taxable=sum(line.taxable_value for line in lines),
        cgst=sum(line.cgst for line in lines),
        sgst=sum(line.sgst for line in lines),
        igst=sum(line.igst for line in lines),
        tds=tds,
        received=received,
    )
    return TaxInvoice(
        supplier=supplier,
        recipient=recipient,
        invoice_number=number,
        invoice_date=date(2026, 3, 5),
        due_date=date(2026, 4, 4),
        place_of_supply=recipient.state_code or supplier.state_code,
        reverse_charge=False,
        lines=lines,
        totals=totals,
        last_changed_at=LAST_CHANGED_AT,
    )


def intra_state() -> TaxInvoice:
    """Two lines within Karnataka: CGST + SGST. Total ₹1,23,452.78."""
    return invoice(
        (
            item_line("Cotton shirting fabric, 58 inch", "5208", 250, 32_000, intra=True),
            item_line("Polyester lining, 44 inch", "5407", 100, 24_621_00 // 100, intra=True),
        )
    )


def inter_state() -> TaxInvoice:
    """One line from Karnataka to Maharashtra: IGST."""
    return invoice(
        (item_line("Denim 12 oz, indigo", "5209", 1200, 46_550, intra=False),),
        recipient=RECIPIENT_MH,
    )


def with_tds() -> TaxInvoice:
    """A service invoice without line items, shown as one line; 2% TDS withheld, part paid."""
    line = single_line(
        description="Dyeing and finishing services, February 2026",
        hsn_sac="998821",
        base_amount=5_00_000_00,
        cgst=45_000_00,
        sgst=45_000_00,
        igst=0,
        gst_exclusive=True,
    )
    return invoice((line,), tds=10_000_00, received=1_00_000_00)


def unregistered() -> TaxInvoice:
    buyer = Recipient(legal_name="Ravi Kumar", address=None, gstin=None, state_code=None)
    return invoice(
        (item_line("Bedsheet, double", "6302", 3, 1_250_00, intra=True),), recipient=buyer
    )


def many_lines(count: int = 30) -> TaxInvoice:
    lines = tuple(
        item_line(
            f"Fabric roll {n}: cotton blend, shade {n * 7 % 100:02d}",
            "5208",
            n,
            10_000 + n,
            intra=True,
        )
        for n in range(1, count + 1)
    )
    return invoice(lines, number="KT/2025-26/0100")


def without_upi() -> TaxInvoice:
    return replace(intra_state(), supplier=replace(SUPPLIER, upi_id=None))


def with_tds_settled() -> TaxInvoice:
    """The TDS invoice with its whole amount payable received: nothing due."""
    doc = with_tds()
    return invoice(doc.lines, tds=doc.totals.tds, received=doc.totals.payable)
