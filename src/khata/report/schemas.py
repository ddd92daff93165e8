"""Wire models of the reports: the answers and the statement e-mail request."""

from datetime import date
from typing import Literal

from pydantic import ConfigDict, Field

from khata.kit.wire import WireAnswer, WireModel

_BUCKET_KEYS = (
    "One number per bucket, keyed by its label (`current`, `1-30`, `31-60`, `61-90`, `90+` "
    "by default; the labels follow `buckets=`)"
)


class AgingRowPayload(WireAnswer):
    """One customer's row: `customerId`, `customerLegalName`, one amount per bucket, `total`."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={"additionalProperties": {"type": "number"}, "description": _BUCKET_KEYS},
    )

    customerId: str
    customerLegalName: str
    total: float


class AgingTotalsPayload(WireAnswer):
    """The totals row: one amount per bucket and `total`."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={"additionalProperties": {"type": "number"}, "description": _BUCKET_KEYS},
    )

    total: float


class AgingPayload(WireAnswer):
    asOf: str = Field(description="yyyy-MM-dd: owed at the end of this day (seller's calendar)")
    basis: Literal["dueDate", "invoiceDate"]
    buckets: list[str]
    rows: list[AgingRowPayload]
    totals: AgingTotalsPayload


class DsoFigurePayload(WireAnswer):
    from_: str = Field(alias="from")
    to: str
    receivables: float
    creditSales: float
    dso: float | None = Field(description="null when there were no credit sales")


class DsoPeriodPayload(WireAnswer):
    receivables: float
    creditSales: float
    dso: float | None


class DsoPayload(WireAnswer):
    from_: str = Field(alias="from")
    to: str
    interval: Literal["month", "quarter"]
    intervals: list[DsoFigurePayload]
    period: DsoPeriodPayload


class StatementEntryPayload(WireAnswer):
    date: str
    kind: Literal["INVOICE", "PAYMENT", "CREDIT_NOTE", "WRITE_OFF", "CLOSED"] = Field(
        description="INVOICE: a debit on its invoice date; PAYMENT: an accepted payment's share, "
        "a credit on the day it was accepted; CREDIT_NOTE: a credit note, a credit on its date; "
        "WRITE_OFF: bad debt written off, a credit on the day; CLOSED: the balance an invoice "
        "had when closed"
    )
    reference: str
    invoiceId: str | None
    paymentId: str | None
    debit: float
    credit: float
    balance: float


class StatementPayload(WireAnswer):
    customerId: str
    customerLegalName: str
    from_: str = Field(alias="from")
    to: str
    openingBalance: float
    entries: list[StatementEntryPayload]
    closingBalance: float
    aging: AgingRowPayload


class StatementSend(WireModel):
    """POST .../statement/send: the statement's period."""

    from_: date = Field(alias="from")
    to: date


class StatementSentPayload(WireAnswer):
    customerId: str
    from_: str = Field(alias="from")
    to: str
    recipients: list[str] = Field(description="The e-mail addresses the statement was queued to")
