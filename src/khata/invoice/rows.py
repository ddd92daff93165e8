"""How a new invoice row is made (defaults, net and balance, status, dispatch, who and when)."""

import json
from dataclasses import dataclass
from datetime import datetime
from operator import itemgetter
from typing import Any

from khata.invoice.status import ApprovalStatus, ReceivableStatus
from khata.kit import amounts
from khata.kit.ids import new_secret
from khata.models import Invoice, InvoiceLine

INVOICE_COLUMNS = tuple(column.name for column in Invoice.__table__.columns)
LINE_COLUMNS = tuple(column.name for column in InvoiceLine.__table__.columns)
# A row's values in column order, for COPY: one C-level call per row.
as_record = itemgetter(*INVOICE_COLUMNS)


@dataclass(frozen=True, slots=True)
class Author:
    """Who creates the invoices (stamped as created_by and modified_by)."""

    id: str | None
    name: str | None
    type: str | None


class InvoiceRowMaker:
    """New invoice rows of one request or job: what they share is worked out once, `values()`
    fills in each row's own values (a bulk file makes hundreds of thousands of them)."""

    def __init__(
        self,
        *,
        seller_id: str,
        invoice_prefix: str | None,
        author: Author,
        now: datetime,
        via: str,
        bulk_job_id: str | None = None,
        meta_fields: list[Any] | None = None,
        json_text: bool = False,
    ) -> None:
        """`json_text`: the rows hold their JSON columns as JSON text (the caller gives its own,
        e.g. `extra`, as text too), sent as is by COPY (`insert_invoice_records(json_text=True)`);
        then a row's values hold nothing the garbage collector tracks, which a bulk file's
        batches in flight would otherwise make it walk again and again."""
        self.now = now
        self.invoice_prefix = invoice_prefix or ""
        meta = [] if meta_fields is None else meta_fields
        shared: dict[str, Any] = {
            "seller_id": seller_id,
            "total_received": 0,
            "total_credited": 0,
            "total_written_off": 0,
            "tds": 0,
            "gst_exclusive": True,
            "partial_payment_allowed": True,
            "receivable_status": ReceivableStatus.CREATED.value,
            "approval_status": ApprovalStatus.APPROVED.value,
            "dispatched": False,
            "via": via,
            "meta_fields": json.dumps(meta) if json_text else meta,
            "bulk_job_id": bulk_job_id,
            "deleted": False,
            "version": 1,
            "created_by_id": author.id,
            "created_by_name": author.name,
            "created_by_type": author.type,
            "modified_by_id": author.id,
            "modified_by_name": author.name,
            "created_at": now,
            "updated_at": now,
        }
        self._shared: dict[str, Any] = {name: shared.get(name) for name in INVOICE_COLUMNS}

    def invoice_number(self, entity_id: int) -> str:
        """The number the seller's prefix gives an invoice that brings none of its own."""
        return f"{self.invoice_prefix}{entity_id}"

    def values(self, *, dispatch: bool = False, **values: Any) -> dict[str, Any]:
        """One new row, column name -> value (`as_record` puts it in column order for COPY).
        `values` are column names (at least id, entity_id, invoice_number, customer_id, the
        dates, base_amount and the GST parts); net and balance follow from the amounts;
        `dispatch` sends it to the buyer now."""
        row = self._shared.copy()
        row.update(values)
        net = amounts.net_amount(
            base=row["base_amount"],
            cgst=row["cgst"],
            sgst=row["sgst"],
            igst=row["igst"],
            gst_exclusive=row["gst_exclusive"],
        )
        row["net_amount"] = net
        row["balance_amount"] = amounts.balance(net=net, tds=row["tds"], total_received=0)
        if dispatch:
            row["receivable_status"] = ReceivableStatus.SENT_TO_BUYER.value
            row["dispatched"] = True
            row["dispatched_at"] = self.now
            row["payment_link_key"] = new_secret(24)
        return row


def line_record(**values: Any) -> list[Any]:
    """One new invoice_line row in `LINE_COLUMNS` order; columns not given are NULL."""
    return [values.get(name) for name in LINE_COLUMNS]
