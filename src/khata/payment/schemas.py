"""Wire models of the payment endpoints; amounts arrive as given and become paise in service."""

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Wire(BaseModel):
    # Trimmed, so a paymentId of spaces is a missing one rather than a payment named "  ".
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


class Allocation(_Wire):
    invoiceId: str = Field(min_length=1, max_length=24)
    amount: Any = None


class PaymentReport(_Wire):
    paymentId: str = Field(min_length=1, max_length=100)
    type: Literal["ONPLATFORM", "OFFPLATFORM"]
    mode: str | None = Field(default=None, max_length=32)
    utr: str | None = Field(default=None, max_length=64)
    amount: Any = None
    paidOn: date | None = None
    invoices: list[Allocation] = Field(min_length=1, max_length=1000)


class PaymentConfirmation(_Wire):
    invoiceIds: list[str] | None = None
    paymentId: str = Field(min_length=1, max_length=100)
    remarks: str | None = Field(default=None, max_length=1000)
    response: Literal["ACCEPT", "REJECT"]
    type: Literal["ONPLATFORM", "OFFPLATFORM"] | None = None
