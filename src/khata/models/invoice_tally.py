"""Invoice tally: live-invoice counts by seller and a few low-cardinality keys (PostgreSQL)."""

from sqlalchemy import BigInteger, Boolean, Identity, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from khata.models.base import Base


class InvoiceTally(Base):
    """Signed counts of live invoices, written by triggers on `invoice` (migration 0013): every
    statement that inserts, updates or deletes invoices adds one row per key it changed, in
    its own transaction, so the sum over a seller's rows is exactly its live invoices in any
    snapshot. Search sums it for a totalCount its keys can answer (no filter, statuses,
    customers, via, dispatched, buyer response, overdue) instead of counting a million rows;
    the rows of a seller are folded into one per key now and then (invoice/search.py). Same
    names as the invoice columns, so one filter builder serves both tables. Empty on SQLite
    (no triggers): there the invoices are counted."""

    __tablename__ = "invoice_tally"

    seller_id: Mapped[str] = mapped_column(String(10), primary_key=True)
    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(16))
    receivable_status: Mapped[str] = mapped_column(String(20))
    via: Mapped[str] = mapped_column(String(12))
    dispatched: Mapped[bool] = mapped_column(Boolean)
    buyer_response: Mapped[str | None] = mapped_column(String(16))
    # Something still to collect: balance > 0 and not cancelled or closed. The overdue
    # filter's count is the open ones less those not yet due (a short due-date range).
    open: Mapped[bool] = mapped_column(Boolean)
    live: Mapped[int] = mapped_column(Integer)
