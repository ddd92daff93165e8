"""Wire models of the AR invoice endpoints (camelCase, as the Enkash API names them).

Amount fields are taken as they come (`Any`) and turned into paise by `validation`, so a NaN,
an Infinity or a negative number is a VALIDATION_ERROR naming the field, not a parse error.
Text is trimmed (a blank invoiceNumber is missing, not ""), and flags are strict booleans: "yes"
or "1" for `gstExclusive` is a client mistake to report, not a value to guess at.
"""

from datetime import date
from typing import Any, Literal

from pydantic import (
    AliasChoices,
    ConfigDict,
    Field,
    StrictBool,
    ValidationInfo,
    field_validator,
)

from khata.customer.schemas import check_email, check_phone
from khata.kit.wire import WireAnswer, WireModel


class _Contact(WireModel):
    """The invoice's own e-mail and mobile, checked with the customer contact patterns, since a
    dispatch sends to them."""

    @field_validator("emailAddress", "mobileNumber", mode="before", check_fields=False)
    @classmethod
    def _blank(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("emailAddress", check_fields=False)
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        return check_email(value)

    @field_validator("mobileNumber", check_fields=False)
    @classmethod
    def _mobile(cls, value: str | None) -> str | None:
        return check_phone(value)


class InvoiceCreate(_Contact):
    customerId: str = Field(min_length=1, max_length=16)
    invoiceNumber: str = Field(min_length=1, max_length=64)
    invoiceDate: date
    dueDate: date
    baseAmount: Any = None
    cgst: Any = None
    sgst: Any = None
    igst: Any = None
    tds: Any = None
    gstExclusive: StrictBool = True
    partialPaymentAllowed: StrictBool = True
    description: str | None = Field(default=None, max_length=1000)
    poNumber: str | None = Field(default=None, max_length=100)
    externalId: str | None = Field(default=None, max_length=100)
    emailAddress: str | None = Field(default=None, max_length=254)
    mobileNumber: str | None = Field(default=None, max_length=20)
    dispatchNow: StrictBool = False

    @field_validator("gstExclusive", "partialPaymentAllowed", "dispatchNow", mode="before")
    @classmethod
    def _null_is_default(cls, value: Any, info: ValidationInfo) -> Any:
        """Clients that serialize every unset field (Jackson's `Boolean x = null`) mean "not
        given" by null on a create, so the documented default applies."""
        if value is None and info.field_name is not None:
            return cls.model_fields[info.field_name].default
        return value


class InvoiceUpdate(_Contact):
    """PATCH: an absent field stays as it is."""

    invoiceNumber: str | None = Field(default=None, min_length=1, max_length=64)
    invoiceDate: date | None = None
    dueDate: date | None = None
    baseAmount: Any = None
    cgst: Any = None
    sgst: Any = None
    igst: Any = None
    tds: Any = None
    gstExclusive: StrictBool | None = None
    partialPaymentAllowed: StrictBool | None = None
    description: str | None = Field(default=None, max_length=1000)
    poNumber: str | None = Field(default=None, max_length=100)
    externalId: str | None = Field(default=None, max_length=100)
    emailAddress: str | None = Field(default=None, max_length=254)
    mobileNumber: str | None = Field(default=None, max_length=20)


class InvoiceSearch(WireModel):
    """Search filters; every one optional, all of them combined with AND."""

    # A misspelt filter would otherwise be dropped and the search answer every invoice: an
    # unknown filter is a 400 naming it.
    model_config = ConfigDict(extra="forbid")

    # DESIGN calls this filter "statuses"; the issue "receivable statuses". Both spellings work.
    receivableStatuses: list[str] | None = Field(
        default=None,
        validation_alias=AliasChoices("receivableStatuses", "statuses", "receivableStatus"),
    )
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
    dispatched: StrictBool | None = None
    overdue: StrictBool | None = None
    customerDeleted: StrictBool | None = None
    # Some credit note issued against it (totalCredited > 0); some of it written off.
    credited: StrictBool | None = None
    writtenOff: StrictBool | None = None
    createdVia: list[Literal["API", "BULK_UPLOAD", "ORDER"]] | None = None
    # The buyer's answer; NONE: not answered.
    buyerResponseStatuses: list[Literal["ACCEPTED", "DISPUTED", "NONE"]] | None = None

    @field_validator(
        "receivableStatuses", "customerIds", "createdVia", "buyerResponseStatuses", mode="before"
    )
    @classmethod
    def _one_as_list(cls, value: Any) -> Any:
        """A single value where a list is expected ("statuses": "PAID") means a list of one."""
        return [value] if isinstance(value, str) else value


class BulkDispatch(WireModel):
    invoiceIds: list[str] = Field(min_length=1, max_length=1000)
    partialPaymentAllowed: StrictBool | None = None


class BulkDelete(WireModel):
    invoiceIds: list[str] = Field(min_length=1, max_length=1000)


class StatusTransition(WireModel):
    currentStatus: str = Field(min_length=1)
    newStatus: str = Field(min_length=1)


class ObjectVersion(WireModel):
    currentVersion: int


class StatusChange(WireModel):
    invoiceId: str = Field(min_length=1)
    statusTransition: StatusTransition
    objectVersion: ObjectVersion
    remarks: str | None = Field(default=None, max_length=1000)


class StatusLabel(WireAnswer):
    """A status as `{name, label}` (receivableStatus, approvalStatus)."""

    name: str
    label: str


class InvoiceLinePayload(WireAnswer):
    """A line of an AR invoice; amounts in rupees, taxRate in percent."""

    id: str
    lineItemId: str | None
    position: int
    sku: str | None
    name: str | None
    description: str | None
    hsnCode: str | None
    quantity: int
    unitPrice: float
    taxRate: float
    amount: float
    tax: float


class BuyerResponsePayload(WireAnswer):
    """The buyer's answer from the invoice's payment page."""

    status: Literal["ACCEPTED", "DISPUTED"]
    reason: str | None = Field(description="Why the buyer disputes the invoice")
    respondedOn: str | None = Field(description="yyyy-MM-dd HH:mm:ss, seller's time zone")


class InvoicePayload(WireAnswer):
    """DESIGN's AR invoice payload (`invoice_payload`): amounts are JSON numbers in rupees with
    at most 2 decimals, timestamps "yyyy-MM-dd HH:mm:ss" in the seller's time zone."""

    invoiceId: str
    invoiceNumber: str
    externalId: str | None
    sellerId: str
    entityId: str
    customerId: str
    customerLegalName: str | None
    invoiceDate: str = Field(description="yyyy-MM-dd")
    dueDate: str = Field(description="yyyy-MM-dd")
    description: str | None
    poNumber: str | None
    baseAmount: float
    cgst: float
    sgst: float
    igst: float
    tds: float
    netAmount: float
    totalReceived: float
    totalCredited: float = Field(description="Credit notes issued against it, GST included")
    totalWrittenOff: float = Field(description="Written off as bad debt")
    writtenOff: bool = Field(description="Some of it was written off as bad debt")
    writtenOffOn: str | None = Field(description="yyyy-MM-dd of the last write-off")
    writtenOffReason: str | None
    balanceAmount: float = Field(
        description="receivable - totalReceived - totalCredited - totalWrittenOff"
    )
    gstExclusive: bool
    partialPaymentAllowed: bool
    receivableStatus: StatusLabel
    approvalStatus: StatusLabel
    overdue: bool
    dispatched: bool
    dispatchedOn: str | None
    paymentLink: str | None
    via: Literal["API", "BULK_UPLOAD", "ORDER"]
    buyerResponse: BuyerResponsePayload | None = Field(
        description="The buyer's answer (ACCEPTED, or DISPUTED with a reason); null before any"
    )
    lineItems: list[InvoiceLinePayload]
    version: int
    createdBy: str | None
    createdByName: str | None
    createdOn: str
    modifiedBy: str | None
    modifiedByName: str | None
    modifiedOn: str


class InvoicePage(WireAnswer):
    invoices: list[InvoicePayload]
    totalCount: int = Field(description="Every invoice the filters match, not only this page")
    limit: int
    offset: int = Field(description="The offset asked for; 0 on a page read by cursor")
    nextCursor: str | None = Field(
        description="Opaque; pass it as `cursor` with the same filters, orderBy and direction "
        "for the page after this one. null on the last page"
    )
    prevCursor: str | None = Field(
        description="Opaque; as `cursor`, the page before this one (in the same order). "
        "null on the first page"
    )


class BatchOutcome(WireAnswer):
    """One invoice of a bulk dispatch or delete; the status keys only when it succeeded, the
    dispatch keys only when it is dispatched."""

    invoiceId: str
    success: bool
    message: str | None
    receivableStatus: StatusLabel | None = None
    version: int | None = None
    dispatchedOn: str | None = None
    paymentLink: str | None = None


class BatchPayload(WireAnswer):
    results: list[BatchOutcome]
    successCount: int
    failureCount: int
