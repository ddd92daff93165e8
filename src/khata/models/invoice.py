"""Invoices: one receivable, shared by the commerce and AR dialects."""

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from khata.models.base import Base, JSONType, UTCDateTime


class ReceivableStatus(StrEnum):
    """The values of `invoice.receivable_status` (labels and transitions: invoice/status.py)."""

    CREATED = "CREATED"
    SENT_TO_BUYER = "SENT_TO_BUYER"
    PAYMENT_INITIATED = "PAYMENT_INITIATED"
    PARTIALLY_PAID = "PARTIALLY_PAID"
    PAID = "PAID"
    CANCELLED = "CANCELLED"
    CLOSED = "CLOSED"


FINAL_STATUSES = frozenset(
    {ReceivableStatus.PAID, ReceivableStatus.CANCELLED, ReceivableStatus.CLOSED}
)


class ApprovalStatus(StrEnum):
    """The values of `invoice.approval_status`."""

    APPROVED = "APPROVED"
    PENDING = "PENDING"
    REJECTED = "REJECTED"


class BuyerResponse(StrEnum):
    """The values of `invoice.buyer_response`: the buyer's answer from the payment page."""

    ACCEPTED = "ACCEPTED"
    DISPUTED = "DISPUTED"


class InvoiceVia(StrEnum):
    """Which path created an invoice."""

    API = "API"
    BULK_UPLOAD = "BULK_UPLOAD"
    ORDER = "ORDER"


def _where_set(column: str) -> dict[str, Any]:
    condition = text(f"{column} IS NOT NULL")
    return {"postgresql_where": condition, "sqlite_where": condition}


# What the report indexes carry besides their keys, so the reports read the index alone.
REPORT_COLUMNS = (
    "id",
    "customer_id",
    "invoice_date",
    "due_date",
    "net_amount",
    "tds",
    "first_paid_on",
    "settled_on",
)
# What the open invoices' report index carries: what each owes and the dates it is aged by.
OPEN_COLUMNS = ("invoice_date", "net_amount", "tds")
# Deleted and cancelled invoices never count in a report, so the report indexes leave them out.
COUNTED_WHERE = "deleted = false AND receivable_status <> 'CANCELLED'"


STEPPED_WHERE = "first_paid_on IS NOT NULL AND (settled_on IS NULL OR first_paid_on < settled_on)"


def _counted(also: str | None = None) -> dict[str, Any]:
    condition = text(COUNTED_WHERE if also is None else f"{COUNTED_WHERE} AND {also}")
    return {"postgresql_where": condition, "sqlite_where": condition}


_ANSWERED = text("buyer_response IS NOT NULL AND NOT deleted")


def _live(column: str, include: tuple[str, ...] = ()) -> Index:
    """A search index on live invoices: (seller_id, column, id), id breaking ties in order."""
    condition = text("NOT deleted")
    return Index(
        f"ix_invoice_live_{column}",
        "seller_id",
        column,
        "id",
        postgresql_where=condition,
        sqlite_where=condition,
        postgresql_include=list(include),
    )


class Invoice(Base):
    __tablename__ = "invoice"
    __table_args__ = (
        UniqueConstraint("seller_id", "entity_id"),
        UniqueConstraint("seller_id", "invoice_number"),
        # No foreign keys to customer and sales_order (migration 0018): each write path checks
        # them in its transaction, and their rows are never deleted (triggers refuse it).
        # Each index names the queries it serves; the bench (bench/reads.py) prints their sizes
        # and what they cost a COPY of 100,000 rows. Search indexes cover live invoices only
        # (`NOT deleted`, the search's own condition): a page is an ordered walk of one of
        # them and a count an index-only scan, whatever the offset.
        # Search by status (with due date: the reminder scheduler's candidates).
        Index(None, "seller_id", "receivable_status", "due_date"),
        # Search by customer (one customer, a legal-name part, customerDeleted), the buyer
        # page's other invoices of the customer.
        Index(None, "seller_id", "customer_id", "created_at"),
        # Search orderBy createdOn (the default) and the createdOn range; commerce lists. With
        # status and dispatched at hand, a page filtered on them (a rare status, dispatched
        # invoices) walks the index alone, however deep.
        _live("created_at", include=("receivable_status", "dispatched")),
        # Search by buyer response (most invoices have none), newest first.
        Index(
            "ix_invoice_answered",
            "seller_id",
            "buyer_response",
            "created_at",
            "id",
            postgresql_where=_ANSWERED,
            sqlite_where=_ANSWERED,
        ),
        # Search orderBy dueDate and the dueDate range; with the balance and status at hand,
        # the overdue filter is counted from this index alone.
        _live("due_date", include=("balance_amount", "receivable_status")),
        # Search orderBy invoiceDate.
        _live("invoice_date"),
        # Search orderBy baseAmount and the baseAmount range.
        _live("base_amount"),
        # Search orderBy balanceAmount and the balanceAmount range.
        _live("balance_amount"),
        # Search orderBy netAmount.
        _live("net_amount"),
        # Search orderBy dispatchedOn and the dispatchedOn range (orderBy walks the NULLs too).
        _live("dispatched_at"),
        # orderBy invoiceNumber and entityId walk the two unique keys above.
        # Keys NULL on most rows (no order, no external id, no link before dispatch) are
        # indexed only where set: a bulk file's invoices skip these indexes entirely.
        Index(None, "seller_id", "order_id", **_where_set("order_id")),
        Index(None, "seller_id", "external_id", **_where_set("external_id")),
        Index(
            "uq_invoice_seller_id_payment_link_key",
            "seller_id",
            "payment_link_key",
            unique=True,
            **_where_set("payment_link_key"),
        ),
        # The buyer's link names no seller: its key alone finds the invoice.
        Index(None, "payment_link_key", **_where_set("payment_link_key")),
        # Reports (report/views.py) read only these indexes at a million invoices: the open
        # invoices by customer and due date (the aging's largest part, summed per customer as
        # the index is walked), the others by when they stopped being open, a customer's by
        # date, sales by date. Each counted invoice is in exactly one of the first two.
        Index(
            "ix_invoice_report_open",
            "seller_id",
            "customer_id",
            "due_date",
            postgresql_include=list(OPEN_COLUMNS),
            **_counted("settled_on IS NULL"),
        ),
        Index(
            "ix_invoice_report_settled",
            "seller_id",
            "settled_on",
            postgresql_include=list(REPORT_COLUMNS),
            **_counted("settled_on IS NOT NULL"),
        ),
        Index(
            "ix_invoice_report_customer",
            "seller_id",
            "customer_id",
            "invoice_date",
            postgresql_include=[
                c for c in REPORT_COLUMNS if c not in ("customer_id", "invoice_date")
            ],
            **_counted(),
        ),
        # The few invoices paid in more than one step (or partly, then closed): DSO reads
        # their allocations, and only theirs.
        Index(
            "ix_invoice_report_stepped",
            "seller_id",
            "settled_on",
            postgresql_include=["id", "invoice_date", "first_paid_on", "customer_id", "due_date"],
            **_counted(STEPPED_WHERE),
        ),
        Index(
            "ix_invoice_report_dated",
            "seller_id",
            "invoice_date",
            postgresql_include=["net_amount"],
            **_counted(),
        ),
    )

    seller_id: Mapped[str] = mapped_column(String(10), primary_key=True)
    id: Mapped[str] = mapped_column(String(24), primary_key=True)
    entity_id: Mapped[int] = mapped_column(BigInteger)
    invoice_number: Mapped[str] = mapped_column(String(64))
    external_id: Mapped[str | None] = mapped_column(String(100))
    customer_id: Mapped[str] = mapped_column(String(16))
    order_id: Mapped[str | None] = mapped_column(String(24))
    invoice_date: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date] = mapped_column(Date)
    description: Mapped[str | None] = mapped_column(String(1000))
    po_number: Mapped[str | None] = mapped_column(String(100))
    # Amounts in paise. net = base + gst (gstExclusive) or base; receivable = net - tds;
    # balance = receivable - total_received - total_credited - total_written_off, kept in step
    # by every payment, credit note and write-off.
    base_amount: Mapped[int] = mapped_column(BigInteger)
    cgst: Mapped[int] = mapped_column(BigInteger, default=0)
    sgst: Mapped[int] = mapped_column(BigInteger, default=0)
    igst: Mapped[int] = mapped_column(BigInteger, default=0)
    tds: Mapped[int] = mapped_column(BigInteger, default=0)
    gst_exclusive: Mapped[bool] = mapped_column(Boolean, default=True)
    net_amount: Mapped[int] = mapped_column(BigInteger)
    total_received: Mapped[int] = mapped_column(BigInteger, default=0)
    # Credit notes issued against it and bad debt written off (credit/service.py); the balance
    # is receivable - received - credited - written off (kit/amounts.balance).
    total_credited: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    total_written_off: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    written_off_on: Mapped[date | None] = mapped_column(Date)
    written_off_reason: Mapped[str | None] = mapped_column(String(500))
    balance_amount: Mapped[int] = mapped_column(BigInteger)
    partial_payment_allowed: Mapped[bool] = mapped_column(Boolean, default=True)
    receivable_status: Mapped[str] = mapped_column(
        String(20), default=ReceivableStatus.CREATED.value
    )
    # The status an invoice had before a payment put it in PAYMENT_INITIATED.
    status_before_payment: Mapped[str | None] = mapped_column(String(20))
    approval_status: Mapped[str] = mapped_column(String(20), default=ApprovalStatus.APPROVED.value)
    dispatched: Mapped[bool] = mapped_column(Boolean, default=False)
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    payment_link_key: Mapped[str | None] = mapped_column(String(64))
    # The buyer's answer from the payment page: ACCEPTED, or DISPUTED with a reason.
    buyer_response: Mapped[str | None] = mapped_column(String(16))
    buyer_response_reason: Mapped[str | None] = mapped_column(String(500))
    buyer_responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    via: Mapped[str] = mapped_column(String(12))  # InvoiceVia
    email_address: Mapped[str | None] = mapped_column(String(254))
    mobile_number: Mapped[str | None] = mapped_column(String(20))
    meta_fields: Mapped[list[Any]] = mapped_column(JSONType)
    extra: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    bulk_job_id: Mapped[str | None] = mapped_column(String(24))
    # Report dates (seller-local): the day it was closed; the day its first payment was
    # accepted; the day it stopped being open (paid in full, or closed). Set by the one
    # payment-acceptance path and the one status-change path.
    closed_on: Mapped[date | None] = mapped_column(Date)
    first_paid_on: Mapped[date | None] = mapped_column(Date)
    settled_on: Mapped[date | None] = mapped_column(Date)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by_id: Mapped[str | None] = mapped_column(String(24))
    created_by_name: Mapped[str | None] = mapped_column(String(200))
    created_by_type: Mapped[str | None] = mapped_column(String(8))
    modified_by_id: Mapped[str | None] = mapped_column(String(24))
    modified_by_name: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
