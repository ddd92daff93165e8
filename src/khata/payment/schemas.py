"""Wire models of the payment endpoints; amounts arrive as given and become paise in service."""

from datetime import date
from typing import Any, Literal

from pydantic import Field

from khata.invoice.ar_schemas import StatusLabel
from khata.kit.wire import WireAnswer, WireModel


class Allocation(WireModel):
    invoiceId: str = Field(min_length=1, max_length=24)
    amount: Any = None


class PaymentReport(WireModel):
    paymentId: str = Field(min_length=1, max_length=100)
    type: Literal["ONPLATFORM", "OFFPLATFORM"]
    mode: str | None = Field(default=None, max_length=32)
    utr: str | None = Field(default=None, max_length=64)
    amount: Any = None
    paidOn: date | None = None
    invoices: list[Allocation] = Field(min_length=1, max_length=1000)


class PaymentConfirmation(WireModel):
    invoiceIds: list[str] | None = None
    paymentId: str = Field(min_length=1, max_length=100)
    remarks: str | None = Field(default=None, max_length=1000)
    response: Literal["ACCEPT", "REJECT"]
    type: Literal["ONPLATFORM", "OFFPLATFORM"] | None = None


class PaymentShare(WireAnswer):
    """What one invoice got of the payment, and where that leaves it."""

    invoiceId: str
    invoiceNumber: str
    amount: float
    receivableStatus: StatusLabel
    totalReceived: float
    balanceAmount: float


class PaymentPayload(WireAnswer):
    """A payment as the AR dialect answers it (`payment_payload`)."""

    paymentId: str
    id: str
    type: Literal["ONPLATFORM", "OFFPLATFORM"]
    mode: str | None
    utr: str | None
    amount: float
    paidOn: str | None
    status: Literal["PENDING_CONFIRMATION", "ACCEPTED", "REJECTED"]
    remarks: str | None
    reportedByBuyer: bool = Field(
        description="Reported by the buyer from the invoice's payment page, not by the seller"
    )
    confirmedOn: str | None
    createdBy: str | None
    createdByName: str | None
    createdOn: str
    invoices: list[PaymentShare]
