"""The AR invoice payload: one builder, reused by the AR endpoints, bulk import and delivery; a
read-side module, it also reads the customer names and lines a page of payloads shows."""

import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import bindparam, func, literal, select
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncSession

from khata.db import Reads, dialect_of, first_row
from khata.invoice.buyer_response import buyer_response_wire
from khata.invoice.status import APPROVAL_LABELS, ReceivableStatus, status_wire
from khata.kit.amounts import rate_wire
from khata.kit.money import wire_paise
from khata.kit.timeutil import enkash_timestamp, local_date
from khata.models import Customer, Invoice, InvoiceLine

# Cancelled and closed invoices are not chased, whatever their balance says.
NOT_OVERDUE_STATUSES = frozenset({ReceivableStatus.CANCELLED, ReceivableStatus.CLOSED})


def payment_link(public_base_url: str, key: str | None) -> str | None:
    return None if key is None else f"{public_base_url.rstrip('/')}/pay/{key}"


def is_overdue(invoice: Invoice, today: date) -> bool:
    """Due date passed (in the seller's time zone) with something still to collect."""
    return (
        invoice.due_date < today
        and invoice.balance_amount > 0
        and invoice.receivable_status not in NOT_OVERDUE_STATUSES
    )


def line_wire(line: InvoiceLine) -> dict[str, Any]:
    return {
        "id": line.id,
        "lineItemId": line.order_line_id,
        "position": line.position,
        "sku": line.sku,
        "name": line.name,
        "description": line.description,
        "hsnCode": line.hsn_code,
        "quantity": line.quantity,
        "unitPrice": wire_paise(line.unit_price),
        "taxRate": rate_wire(line.tax_rate_bp),
        "amount": wire_paise(line.amount),
        "tax": wire_paise(line.tax),
    }


def _reduced(invoice: Invoice) -> dict[str, Any]:
    """What credit notes and write-offs took off the invoice."""
    written_off_on = invoice.written_off_on
    return {
        "totalCredited": wire_paise(invoice.total_credited),
        "totalWrittenOff": wire_paise(invoice.total_written_off),
        "writtenOff": invoice.total_written_off > 0,
        "writtenOffOn": None if written_off_on is None else written_off_on.isoformat(),
        "writtenOffReason": invoice.written_off_reason,
    }


def invoice_payload(
    invoice: Invoice,
    *,
    customer_legal_name: str | None,
    line_items: Sequence[dict[str, Any]],
    time_zone: str,
    now: datetime,
    public_base_url: str,
) -> dict[str, Any]:
    """DESIGN's AR invoice payload. `line_items` are `line_wire` dicts in position order."""

    def stamp(value: datetime | None) -> str | None:
        return None if value is None else enkash_timestamp(value, time_zone)

    return {
        "invoiceId": invoice.id,
        "invoiceNumber": invoice.invoice_number,
        "externalId": invoice.external_id,
        "sellerId": invoice.seller_id,
        "entityId": str(invoice.entity_id),
        "customerId": invoice.customer_id,
        "customerLegalName": customer_legal_name,
        "invoiceDate": invoice.invoice_date.isoformat(),
        "dueDate": invoice.due_date.isoformat(),
        "description": invoice.description,
        "poNumber": invoice.po_number,
        "baseAmount": wire_paise(invoice.base_amount),
        "cgst": wire_paise(invoice.cgst),
        "sgst": wire_paise(invoice.sgst),
        "igst": wire_paise(invoice.igst),
        "tds": wire_paise(invoice.tds),
        "netAmount": wire_paise(invoice.net_amount),
        "totalReceived": wire_paise(invoice.total_received),
        **_reduced(invoice),
        "balanceAmount": wire_paise(invoice.balance_amount),
        "gstExclusive": invoice.gst_exclusive,
        "partialPaymentAllowed": invoice.partial_payment_allowed,
        "receivableStatus": status_wire(invoice.receivable_status),
        "approvalStatus": {
            "name": invoice.approval_status,
            "label": APPROVAL_LABELS.get(invoice.approval_status, invoice.approval_status),
        },
        "overdue": is_overdue(invoice, local_date(now, time_zone)),
        "dispatched": invoice.dispatched,
        "dispatchedOn": stamp(invoice.dispatched_at),
        "paymentLink": payment_link(public_base_url, invoice.payment_link_key),
        "via": invoice.via,
        "buyerResponse": buyer_response_wire(invoice, time_zone),
        "lineItems": sorted(line_items, key=lambda item: int(item.get("position") or 0)),
        "version": invoice.version,
        "createdBy": invoice.created_by_id,
        "createdByName": invoice.created_by_name,
        "createdOn": stamp(invoice.created_at),
        "modifiedBy": invoice.modified_by_id,
        "modifiedByName": invoice.modified_by_name,
        "modifiedOn": stamp(invoice.updated_at),
    }


def lines_column(dialect: str) -> Any:
    """Line items of the row's invoice as one JSON array, so the page needs no second query."""
    fields = (
        ("id", InvoiceLine.id),
        ("lineItemId", InvoiceLine.order_line_id),
        ("position", InvoiceLine.position),
        ("sku", InvoiceLine.sku),
        ("name", InvoiceLine.name),
        ("description", InvoiceLine.description),
        ("hsnCode", InvoiceLine.hsn_code),
        ("quantity", InvoiceLine.quantity),
        ("unitPrice", InvoiceLine.unit_price),
        ("taxRateBp", InvoiceLine.tax_rate_bp),
        ("amount", InvoiceLine.amount),
        ("tax", InvoiceLine.tax),
    )
    pairs: list[Any] = []
    for name, column in fields:
        pairs.extend((literal(name), column))
    if dialect == "postgresql":
        aggregate = func.json_agg(
            aggregate_order_by(func.json_build_object(*pairs), InvoiceLine.position)
        )
    else:
        aggregate = func.json_group_array(func.json_object(*pairs))
    return (
        select(aggregate)
        .where(InvoiceLine.seller_id == Invoice.seller_id, InvoiceLine.invoice_id == Invoice.id)
        .correlate(Invoice)
        .scalar_subquery()
    )


def _raw_line_wire(raw: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": raw["id"],
        "lineItemId": raw["lineItemId"],
        "position": raw["position"],
        "sku": raw["sku"],
        "name": raw["name"],
        "description": raw["description"],
        "hsnCode": raw["hsnCode"],
        "quantity": raw["quantity"],
        "unitPrice": wire_paise(int(raw["unitPrice"])),
        "taxRate": rate_wire(int(raw["taxRateBp"])),
        "amount": wire_paise(int(raw["amount"])),
        "tax": wire_paise(int(raw["tax"])),
    }


def decode_lines(value: Any) -> list[dict[str, Any]]:
    if value is None:
        return []
    items = json.loads(value) if isinstance(value, str) else value
    return [_raw_line_wire(item) for item in items if item and item.get("id") is not None]


def legal_name_column() -> Any:
    """The legal name of the row's invoice's customer, as a column of an invoice query."""
    return (
        select(Customer.legal_name)
        .where(Customer.seller_id == Invoice.seller_id, Customer.id == Invoice.customer_id)
        .correlate(Invoice)
        .scalar_subquery()
    )


def _live_invoice_statement(dialect: str) -> Any:
    """One live invoice with its customer's name and its lines; built once per dialect (the
    JSON of the lines is a large expression to build for every GET)."""
    statement = _LIVE_INVOICE.get(dialect)
    if statement is None:
        columns = (Invoice.__table__, legal_name_column(), lines_column(dialect))
        statement = select(*columns).where(
            Invoice.seller_id == bindparam("seller_id"),
            Invoice.id == bindparam("invoice_id"),
            Invoice.deleted.is_(False),
        )
        _LIVE_INVOICE[dialect] = statement
    return statement


_LIVE_INVOICE: dict[str, Any] = {}


async def live_invoice_payload(
    reads: Reads,
    *,
    seller_id: str,
    invoice_id: str,
    time_zone: str,
    now: datetime,
    public_base_url: str,
) -> dict[str, Any] | None:
    """The payload of one live invoice of the seller, read in one statement (customer name and
    lines included); None when the seller has no such invoice."""
    statement = _live_invoice_statement(dialect_of(reads))
    parameters = {"seller_id": seller_id, "invoice_id": invoice_id}
    row = await first_row(reads, statement, parameters)
    if row is None:
        return None
    return invoice_payload(
        cast(Invoice, row),  # a row of the invoice's columns, read by the same names
        customer_legal_name=row[-2],
        line_items=decode_lines(row[-1]),
        time_zone=time_zone,
        now=now,
        public_base_url=public_base_url,
    )


async def invoice_payloads(
    session: AsyncSession,
    *,
    invoices: Sequence[Invoice],
    time_zone: str,
    now: datetime,
    public_base_url: str,
) -> list[dict[str, Any]]:
    """Payloads of invoices of one seller, in the given order: two queries whatever the count
    (customer names, line items)."""
    if not invoices:
        return []
    seller_id = invoices[0].seller_id
    customer_ids = {invoice.customer_id for invoice in invoices}
    name_rows = await session.execute(
        select(Customer.id, Customer.legal_name).where(
            Customer.seller_id == seller_id, Customer.id.in_(customer_ids)
        )
    )
    names = {customer_id: legal_name for customer_id, legal_name in name_rows}
    lines: dict[str, list[dict[str, Any]]] = {invoice.id: [] for invoice in invoices}
    result = await session.execute(
        select(InvoiceLine)
        .where(InvoiceLine.seller_id == seller_id, InvoiceLine.invoice_id.in_(list(lines)))
        .order_by(InvoiceLine.invoice_id, InvoiceLine.position)
    )
    for line in result.scalars():
        lines[line.invoice_id].append(line_wire(line))
    return [
        invoice_payload(
            invoice,
            customer_legal_name=names.get(invoice.customer_id),
            line_items=lines[invoice.id],
            time_zone=time_zone,
            now=now,
            public_base_url=public_base_url,
        )
        for invoice in invoices
    ]


async def one_invoice_payload(
    session: AsyncSession,
    invoice: Invoice,
    *,
    time_zone: str,
    now: datetime,
    public_base_url: str,
) -> dict[str, Any]:
    (payload,) = await invoice_payloads(
        session, invoices=[invoice], time_zone=time_zone, now=now, public_base_url=public_base_url
    )
    return payload
