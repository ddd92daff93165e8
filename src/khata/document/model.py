"""The tax invoice as a document sees it: frozen values, independent of the ORM and the wire."""

from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True)
class BankAccount:
    account_name: str
    account_number: str
    ifsc: str
    bank_name: str


@dataclass(frozen=True)
class Supplier:
    legal_name: str
    address: str | None
    gstin: str | None
    state_code: str
    upi_id: str | None = None
    bank_account: BankAccount | None = None
    authorised_signatory: str | None = None
    invoice_footer: str | None = None


@dataclass(frozen=True)
class Recipient:
    legal_name: str
    address: str | None
    gstin: str | None  # None: an unregistered buyer
    state_code: str | None


@dataclass(frozen=True)
class Line:
    """One line of supply; money in integer paise, the GST rate in basis points (18% = 1800)."""

    description: str
    hsn_sac: str | None
    quantity: int
    unit_price: int
    taxable_value: int
    gst_rate_bp: int
    cgst: int
    sgst: int
    igst: int


@dataclass(frozen=True)
class Totals:
    """The invoice's amounts in paise; the arithmetic between them is checked on creation."""

    taxable: int
    cgst: int
    sgst: int
    igst: int
    net: int
    tds: int
    payable: int
    received: int
    balance: int
    credited: int = 0  # credit notes and write-offs against the invoice

    def __post_init__(self) -> None:
        if self.net != self.taxable + self.cgst + self.sgst + self.igst:
            raise ValueError("net must be the taxable value plus CGST, SGST and IGST")
        if self.payable != self.net - self.tds:
            raise ValueError("amount payable must be net less TDS")
        if self.balance != self.payable - self.received - self.credited:
            raise ValueError(
                "balance due must be the amount payable less what was received and credited"
            )


@dataclass(frozen=True)
class CreditNoteOf:
    """What makes the document a credit note (CGST Act s. 34, Rule 53): the invoice it is
    issued against and why. The document's own number and date are the credit note's."""

    invoice_number: str
    invoice_date: date
    reason: str


@dataclass(frozen=True)
class TaxInvoice:
    supplier: Supplier
    recipient: Recipient
    invoice_number: str
    invoice_date: date
    due_date: date
    place_of_supply: str  # GST state code
    reverse_charge: bool
    lines: tuple[Line, ...]
    totals: Totals
    last_changed_at: datetime  # the PDF's creation date, so the same state gives the same bytes
    credit_note: CreditNoteOf | None = None  # set: a credit note, not a tax invoice

    @property
    def title(self) -> str:
        return "Credit note" if self.credit_note is not None else "Tax invoice"

    @property
    def intra_state(self) -> bool:
        """CGST + SGST when the place of supply is the supplier's own state, else IGST."""
        return self.place_of_supply == self.supplier.state_code


def totals_of(
    *, taxable: int, cgst: int, sgst: int, igst: int, tds: int, received: int, credited: int = 0
) -> Totals:
    """Totals from the amounts an invoice stores, with net, payable and balance derived."""
    net = taxable + cgst + sgst + igst
    payable = net - tds
    return Totals(
        taxable=taxable,
        cgst=cgst,
        sgst=sgst,
        igst=igst,
        net=net,
        tds=tds,
        payable=payable,
        received=received,
        balance=payable - received - credited,
        credited=credited,
    )


def single_line(
    *,
    description: str,
    hsn_sac: str | None,
    base_amount: int,
    cgst: int,
    sgst: int,
    igst: int,
    gst_exclusive: bool,
) -> Line:
    """The one line shown for an invoice without line items, made from its own amounts.

    A GST-inclusive base already holds the tax, so its taxable value is the base less the tax.
    The rate is the tax over the taxable value, to the basis point.
    """
    tax = cgst + sgst + igst
    taxable = base_amount if gst_exclusive else base_amount - tax
    rate_bp = (tax * 10_000 * 2 + taxable) // (2 * taxable) if taxable > 0 else 0
    return Line(
        description=description,
        hsn_sac=hsn_sac,
        quantity=1,
        unit_price=taxable,
        taxable_value=taxable,
        gst_rate_bp=rate_bp,
        cgst=cgst,
        sgst=sgst,
        igst=igst,
    )
