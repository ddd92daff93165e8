"""Invoices as the commerce dialect shows them: the seed's fields first, then DESIGN's extras."""

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from khata.kit.money import wire_paise
from khata.kit.timeutil import iso_millis
from khata.order.views import tax_rate_wire


def invoice_line_wire(line: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "lineItemId": line["order_line_id"],
        "quantity": line["quantity"],
        "id": line["id"],
        "sku": line["sku"],
        "name": line["name"],
        "hsnCode": line["hsn_code"],
        "unitPrice": wire_paise(line["unit_price"]),
        "taxRate": tax_rate_wire(line["tax_rate_bp"]),
        "amount": wire_paise(line["amount"]),
        "tax": wire_paise(line["tax"]),
    }


def invoice_wire(
    invoice: Mapping[str, Any],
    lines: Sequence[Mapping[str, Any]],
    mails: Sequence[tuple[str, datetime]] = (),
) -> dict[str, Any]:
    gst = invoice["cgst"] + invoice["sgst"] + invoice["igst"]
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
        "createdAt": iso_millis(invoice["created_at"]),
        "updatedAt": iso_millis(invoice["updated_at"]),
        "id": invoice["id"],
        "invoiceNumber": invoice["invoice_number"],
        "customer": invoice["customer_id"],
        "status": invoice["receivable_status"],
        "invoiceDate": invoice["invoice_date"].isoformat(),
        "dueDate": invoice["due_date"].isoformat(),
        "subtotal": wire_paise(invoice["base_amount"]),
        "tax": wire_paise(gst),
        "cgst": wire_paise(invoice["cgst"]),
        "sgst": wire_paise(invoice["sgst"]),
        "igst": wire_paise(invoice["igst"]),
        "balanceAmount": wire_paise(invoice["balance_amount"]),
        "mailsSent": [{"sentTo": to, "sentAt": iso_millis(at)} for to, at in mails],
    }
