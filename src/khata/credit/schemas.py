"""Wire models of credit notes and write-offs: the request bodies and the answers of both
dialects (AR: `/api/v0/...`; commerce: `/invoices/{id}/credit-notes`)."""

from datetime import date
from typing import Any

from pydantic import AliasChoices, Field, StrictInt

from khata.invoice.ar_schemas import StatusLabel
from khata.kit.wire import PrincipalRef, WireAnswer, WireModel


class CreditLineIn(WireModel):
    """A line to credit: the invoice line's `id` (or its order line's `lineItemId`)."""

    lineItemId: str = Field(min_length=1, max_length=24)
    quantity: StrictInt


class CreditNoteCreate(WireModel):
    """A credit note: either `amount` (rupees, GST included, split like the invoice's) or
    `lineItems` (quantities of the invoice's lines, with their own tax)."""

    reason: str = Field(min_length=1, max_length=500)
    amount: Any = None
    lineItems: list[CreditLineIn] | None = Field(default=None, max_length=1000)
    creditDate: date | None = Field(
        default=None,
        validation_alias=AliasChoices("date", "creditDate"),
        description="yyyy-MM-dd; today (seller's time zone) when absent",
    )
    description: str | None = Field(default=None, max_length=1000)


class WriteOffCreate(WireModel):
    """A write-off of bad debt: the whole balance left, or `amount` of it."""

    reason: str = Field(min_length=1, max_length=500)
    amount: Any = None


class CreditNoteLinePayload(WireAnswer):
    id: str
    invoiceLineId: str
    lineItemId: str | None = Field(description="The order line, for invoices made from orders")
    quantity: int
    amount: float = Field(description="Taxable value credited")
    tax: float


class CreditedInvoice(WireAnswer):
    """The invoice the credit note reduces, as it stands now."""

    invoiceId: str
    invoiceNumber: str
    invoiceDate: str
    totalCredited: float
    balanceAmount: float
    receivableStatus: StatusLabel


class CreditNotePayload(WireAnswer):
    """A credit note (AR dialect): amounts in rupees, `amount` = taxable + CGST + SGST + IGST."""

    creditNoteId: str
    creditNoteNumber: str
    sellerId: str
    customerId: str
    creditDate: str = Field(description="yyyy-MM-dd")
    reason: str
    description: str | None
    amount: float
    taxableAmount: float
    cgst: float
    sgst: float
    igst: float
    lineItems: list[CreditNoteLinePayload]
    invoice: CreditedInvoice
    createdBy: str | None
    createdByName: str | None
    createdOn: str


class CommerceCreditNoteLine(WireAnswer):
    id: str
    invoiceLineId: str
    lineItemId: str | None
    quantity: int
    amount: float
    tax: float


class CommerceCreditNotePayload(WireAnswer):
    """A credit note as the commerce dialect shows it (amounts like its invoices': `total`,
    `subtotal`, `tax`)."""

    id: str
    creditNoteNumber: str
    invoice: str
    invoiceNumber: str
    customer: str
    date: str
    reason: str
    description: str | None
    subtotal: float
    tax: float
    cgst: float
    sgst: float
    igst: float
    total: float
    lineItems: list[CommerceCreditNoteLine]
    invoiceBalance: float
    invoiceStatus: str
    createdBy: PrincipalRef
    createdAt: str
