"""Invoices as the commerce dialect shows them: the seed's fields first, then DESIGN's extras.

A read-side module (as ar_views is for the AR dialect): it also reads what one invoice or a page
of invoices shows, with their lines and the e-mails sent for them.
"""

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from khata.delivery import repository as delivery_repository
from khata.invoice import repository
from khata.invoice.errors import InvoiceNotFound
from khata.invoice.repository import Row
from khata.kit.amounts import rate_wire
from khata.kit.envelopes import commerce_ok
from khata.kit.money import wire_paise
from khata.kit.timeutil import iso_millis


def invoice_line_wire(line: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "lineItemId": line["order_line_id"],
        "quantity": line["quantity"],
        "id": line["id"],
        "sku": line["sku"],
        "name": line["name"],
        "hsnCode": line["hsn_code"],
        "unitPrice": wire_paise(line["unit_price"]),
        "taxRate": rate_wire(line["tax_rate_bp"], whole_as_int=True),
        "amount": wire_paise(line["amount"]),
        "tax": wire_paise(line["tax"]),
    }


def invoice_wire(
    invoice: Mapping[str, Any],
    lines: Sequence[Mapping[str, Any]],
    mails: Sequence[tuple[str, datetime]] = (),
    *,
    stamps: dict[datetime, str] | None = None,
) -> dict[str, Any]:
    """`stamps` memoises the ISO timestamps across the invoices of one answer (a bulk answer's
    thousand invoices share one creation instant)."""
    if stamps is None:
        stamps = {}
    created_at, updated_at = invoice["created_at"], invoice["updated_at"]
    created = stamps.get(created_at)
    if created is None:
        created = stamps[created_at] = iso_millis(created_at)
    updated = stamps.get(updated_at)
    if updated is None:
        updated = stamps[updated_at] = iso_millis(updated_at)
    cgst, sgst, igst = invoice["cgst"], invoice["sgst"], invoice["igst"]
    return {
        "order": invoice["order_id"],
        "entityId": str(invoice["entity_id"]),
        "lineItems": [invoice_line_wire(line) for line in lines],
        "total": wire_paise(invoice["net_amount"]),
        "createdBy": {
            "id": invoice["created_by_id"],
            "name": invoice["created_by_name"],
            "type": invoice["created_by_type"],
        },
        "metaFields": invoice["meta_fields"],
        "createdAt": created,
        "updatedAt": updated,
        "id": invoice["id"],
        "invoiceNumber": invoice["invoice_number"],
        "customer": invoice["customer_id"],
        "status": invoice["receivable_status"],
        "invoiceDate": invoice["invoice_date"].isoformat(),
        "dueDate": invoice["due_date"].isoformat(),
        "subtotal": wire_paise(invoice["base_amount"]),
        "tax": wire_paise(cgst + sgst + igst),
        "cgst": wire_paise(cgst),
        "sgst": wire_paise(sgst),
        "igst": wire_paise(igst),
        "totalCredited": wire_paise(invoice["total_credited"]),
        "totalWrittenOff": wire_paise(invoice["total_written_off"]),
        "balanceAmount": wire_paise(invoice["balance_amount"]),
        "mailsSent": [{"sentTo": to, "sentAt": iso_millis(at)} for to, at in mails],
    }


def _json(value: Any) -> str:
    """JSON exactly as Starlette's JSONResponse renders it."""
    return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def invoices_answer(
    found: Sequence[tuple[Mapping[str, Any], Sequence[Mapping[str, Any]]]], message: str
) -> bytes:
    """The commerce envelope around fresh invoices (none has been mailed yet), rendered to the
    same bytes as JSONResponse(commerce_ok(data, message, count)) would give.

    Each invoice is rendered as soon as it is built, so its dicts die at once instead of living
    (and being promoted through the garbage collector's generations) until a thousand of them
    are rendered together: that promotion set off full collections of 100+ ms.
    """
    stamps: dict[datetime, str] = {}
    data = ",".join(_json(invoice_wire(invoice, lines, stamps=stamps)) for invoice, lines in found)
    # commerce_ok stays the one place that knows the envelope; its data slot comes first of
    # the values that can hold text, so the first `"data":null` is the slot.
    envelope = _json(commerce_ok(None, message, len(found)))
    return envelope.replace('"data":null', f'"data":[{data}]', 1).encode("utf-8")


async def get_invoice(
    session: AsyncSession, *, seller_id: str, invoice_id: str
) -> tuple[Row, list[Row], list[tuple[str, datetime]]]:
    invoice = await repository.get_invoice(session, seller_id, invoice_id)
    if invoice is None:
        raise InvoiceNotFound(invoice_id)
    lines = await repository.lines_of_invoices(session, seller_id, [invoice_id])
    mails = await delivery_repository.mails_sent(session, seller_id, [invoice_id])
    return (
        repository.as_row(invoice),
        [repository.line_as_row(line) for line in lines[invoice_id]],
        mails[invoice_id],
    )


async def list_invoices(
    session: AsyncSession,
    *,
    seller_id: str,
    order_id: str | None,
    customer_id: str | None,
    page: int,
    limit: int,
) -> tuple[list[tuple[Row, list[Row], list[tuple[str, datetime]]]], int]:
    invoices, total = await repository.list_invoices(
        session,
        seller_id=seller_id,
        order_id=order_id,
        customer_id=customer_id,
        offset=(page - 1) * limit,
        limit=limit,
    )
    ids = [invoice.id for invoice in invoices]
    lines = await repository.lines_of_invoices(session, seller_id, ids)
    mails = await delivery_repository.mails_sent(session, seller_id, ids)
    return [
        (
            repository.as_row(invoice),
            [repository.line_as_row(line) for line in lines[invoice.id]],
            mails[invoice.id],
        )
        for invoice in invoices
    ], total
