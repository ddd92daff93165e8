"""How a new invoice row is made (defaults, net and balance, status, dispatch, who and when)."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from khata.invoice import amounts
from khata.invoice.status import ReceivableStatus
from khata.kit.ids import new_secret
from khata.models import Invoice, InvoiceLine

INVOICE_COLUMNS = tuple(column.name for column in Invoice.__table__.columns)
LINE_COLUMNS = tuple(column.name for column in InvoiceLine.__table__.columns)
# Where each column sits in a record: the bulk path fills value lists for COPY, not dicts.
_POSITION = {name: index for index, name in enumerate(INVOICE_COLUMNS)}
_NET = _POSITION["net_amount"]
_BALANCE = _POSITION["balance_amount"]
_DISPATCH = tuple(
    _POSITION[name]
    for name in ("receivable_status", "dispatched", "dispatched_at", "payment_link_key")
)


@dataclass(frozen=True, slots=True)
class Author:
    """Who creates the invoices (stamped as created_by and modified_by)."""

    id: str | None
    name: str | None
    type: str | None


class InvoiceRowMaker:
    """New invoice rows of one request or job: what they share is worked out once, `record()`
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
    ) -> None:
        self.now = now
        self.invoice_prefix = invoice_prefix or ""
        shared: dict[str, Any] = {
            "seller_id": seller_id,
            "total_received": 0,
            "tds": 0,
            "gst_exclusive": True,
            "partial_payment_allowed": True,
            "receivable_status": ReceivableStatus.CREATED.value,
            "approval_status": "APPROVED",
            "dispatched": False,
            "via": via,
            "meta_fields": [] if meta_fields is None else meta_fields,
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
        self._template: list[Any] = [shared.get(name) for name in INVOICE_COLUMNS]

    def invoice_number(self, entity_id: int) -> str:
        """The number the seller's prefix gives an invoice that brings none of its own."""
        return f"{self.invoice_prefix}{entity_id}"

    def record(self, *, dispatch: bool = False, **values: Any) -> list[Any]:
        """One new row in `INVOICE_COLUMNS` order. `values` are column names (at least id,
        entity_id, invoice_number, customer_id, the dates, base_amount and the GST parts);
        net and balance follow from the amounts; `dispatch` sends it to the buyer now."""
        record = self._template.copy()
        position = _POSITION
        for name, value in values.items():
            record[position[name]] = value
        net = amounts.net_amount(
            base=values["base_amount"],
            cgst=values["cgst"],
            sgst=values["sgst"],
            igst=values["igst"],
            gst_exclusive=record[position["gst_exclusive"]],
        )
        record[_NET] = net
        record[_BALANCE] = amounts.balance(net=net, tds=record[position["tds"]], total_received=0)
        if dispatch:
            status, dispatched, dispatched_at, link_key = _DISPATCH
            record[status] = ReceivableStatus.SENT_TO_BUYER.value
            record[dispatched] = True
            record[dispatched_at] = self.now
            record[link_key] = new_secret(24)
        return record

    def values(self, *, dispatch: bool = False, **values: Any) -> dict[str, Any]:
        """One new row as column name -> value (for `Invoice(**...)` or a dict insert)."""
        return as_values(self.record(dispatch=dispatch, **values))


def net_of(record: list[Any]) -> int:
    """The net amount of a record of `InvoiceRowMaker.record`."""
    return int(record[_NET])


def as_values(record: list[Any]) -> dict[str, Any]:
    """A record of `InvoiceRowMaker.record` keyed by column name."""
    return dict(zip(INVOICE_COLUMNS, record, strict=True))


def line_record(**values: Any) -> list[Any]:
    """One new invoice_line row in `LINE_COLUMNS` order; columns not given are NULL."""
    return [values.get(name) for name in LINE_COLUMNS]
