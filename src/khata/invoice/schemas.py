"""Wire models of the AR invoice endpoints (camelCase, as the Enkash API names them).

Amount fields are taken as they come (`Any`) and turned into paise by `validation`, so a NaN,
an Infinity or a negative number is a VALIDATION_ERROR naming the field, not a parse error.
"""

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Wire(BaseModel):
    model_config = ConfigDict(extra="ignore")


class InvoiceCreate(_Wire):
    customerId: str = Field(min_length=1, max_length=16)
    invoiceNumber: str = Field(min_length=1, max_length=64)
    invoiceDate: date
    dueDate: date
    baseAmount: Any = None
    cgst: Any = None
    sgst: Any = None
    igst: Any = None
    tds: Any = None
    gstExclusive: bool = True
    partialPaymentAllowed: bool = True
    description: str | None = Field(default=None, max_length=1000)
    poNumber: str | None = Field(default=None, max_length=100)
    externalId: str | None = Field(default=None, max_length=100)
    emailAddress: str | None = Field(default=None, max_length=254)
    mobileNumber: str | None = Field(default=None, max_length=20)
    dispatchNow: bool = False


class InvoiceUpdate(_Wire):
    """PATCH: an absent field stays as it is."""

    invoiceNumber: str | None = Field(default=None, min_length=1, max_length=64)
    invoiceDate: date | None = None
    dueDate: date | None = None
    baseAmount: Any = None
    cgst: Any = None
    sgst: Any = None
    igst: Any = None
    tds: Any = None
    gstExclusive: bool | None = None
    partialPaymentAllowed: bool | None = None
    description: str | None = Field(default=None, max_length=1000)
    poNumber: str | None = Field(default=None, max_length=100)
    externalId: str | None = Field(default=None, max_length=100)
    emailAddress: str | None = Field(default=None, max_length=254)
    mobileNumber: str | None = Field(default=None, max_length=20)


class InvoiceSearch(BaseModel):
    """Search filters; every one optional, all of them combined with AND."""

    model_config = ConfigDict(extra="forbid")

    receivableStatuses: list[str] | None = None
    customerIds: list[str] | None = None
    customerLegalName: str | None = None
    baseAmountFrom: Any = None
    baseAmountTo: Any = None
    balanceAmountFrom: Any = None
    balanceAmountTo: Any = None
    createdOnFrom: date | None = None
    createdOnTo: date | None = None
    dueDateFrom: date | None = None
    dueDateTo: date | None = None
    dispatchedOnFrom: date | None = None
    dispatchedOnTo: date | None = None
    dispatched: bool | None = None
    overdue: bool | None = None
    customerDeleted: bool | None = None
    createdVia: list[Literal["API", "BULK_UPLOAD", "ORDER"]] | None = None


class BulkDispatch(_Wire):
    invoiceIds: list[str] = Field(min_length=1, max_length=1000)
    partialPaymentAllowed: bool | None = None


class BulkDelete(_Wire):
    invoiceIds: list[str] = Field(min_length=1, max_length=1000)


class StatusTransition(_Wire):
    currentStatus: str
    newStatus: str


class ObjectVersion(_Wire):
    currentVersion: int


class StatusChange(_Wire):
    invoiceId: str
    statusTransition: StatusTransition
    objectVersion: ObjectVersion
    remarks: str | None = Field(default=None, max_length=1000)
