"""Invoices as the commerce dialect shows them: the seed's fields first, then DESIGN's extras."""

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from khata.kit.timeutil import iso_millis
from khata.order.views import tax_rate_wire


def wire_amount(paise: int) -> float:
    """Paise as a JSON number of rupees: the same float as `kit.money.wire_paise` (int / int is
    correctly rounded in Python, as is float(Decimal)), without two Decimals per amount; a
    bulk answer carries some 16,000 amounts."""
    return paise / 100


def invoice_line_wire(line: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "lineItemId": line["order_line_id"],
        "quantity": line["quantity"],
        "id": line["id"],
        "sku": line["sku"],
        "name": line["name"],
        "hsnCode": line["hsn_code"],
        "unitPrice": wire_amount(line["unit_price"]),
        "taxRate": tax_rate_wire(line["tax_rate_bp"]),
        "amount": wire_amount(line["amount"]),
        "tax": wire_amount(line["tax"]),
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
        "total": wire_amount(invoice["net_amount"]),
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
        "subtotal": wire_amount(invoice["base_amount"]),
        "tax": wire_amount(cgst + sgst + igst),
        "cgst": wire_amount(cgst),
        "sgst": wire_amount(sgst),
        "igst": wire_amount(igst),
        "balanceAmount": wire_amount(invoice["balance_amount"]),
        "mailsSent": [{"sentTo": to, "sentAt": iso_millis(at)} for to, at in mails],
    }


def invoices_wire(
    found: Sequence[tuple[Mapping[str, Any], Sequence[Mapping[str, Any]]]],
) -> list[dict[str, Any]]:
    """Fresh invoices (none has been mailed yet), as one answer."""
    stamps: dict[datetime, str] = {}
    return [invoice_wire(invoice, lines, stamps=stamps) for invoice, lines in found]
