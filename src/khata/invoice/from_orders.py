"""Building an invoice from an order's lines: amounts, GST split, number and dates (no I/O)."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from khata.invoice.amounts import is_intra_state, line_amounts, net_amount, split_gst
from khata.invoice.repository_commerce import LineState, OrderHead, Row
from khata.invoice.status import ReceivableStatus
from khata.kit.ids import new_object_id
from khata.kit.timeutil import add_days, local_date
from khata.models import Principal, Seller

VIA_ORDER = "ORDER"


@dataclass(frozen=True)
class Pick:
    """How much of one order line goes on the invoice."""

    line: LineState
    quantity: int


@dataclass(frozen=True)
class InvoiceDraft:
    invoice: Row  # every column of `invoice`, ready for a batched insert
    lines: list[Row]  # every column of `invoice_line`


def invoice_number(seller: Seller, entity_id: int) -> str:
    return f"{seller.invoice_prefix}{entity_id}"


def build_invoice(
    *,
    seller: Seller,
    principal: Principal,
    order: OrderHead,
    picks: Sequence[Pick],
    entity_id: int,
    now: datetime,
    meta_fields: list[Any],
) -> InvoiceDraft:
    """Tax per line (rounded half-up to the paisa), then the total split by place of supply:
    CGST+SGST when the customer is in the seller's state, IGST otherwise."""
    timestamp = now.timestamp()
    invoice_id = new_object_id(timestamp)
    subtotal = tax = 0
    lines: list[Row] = []
    for position, pick in enumerate(picks):
        line = pick.line
        amounts = line_amounts(
            quantity=pick.quantity, unit_price=line.unit_price, tax_rate_bp=line.tax_rate_bp
        )
        subtotal += amounts.amount
        tax += amounts.tax
        lines.append(
            {
                "seller_id": seller.id,
                "id": new_object_id(timestamp),
                "invoice_id": invoice_id,
                "position": position,
                "order_line_id": line.id,
                "sku": line.sku,
                "name": line.name,
                "description": line.description,
                "hsn_code": line.hsn_code,
                "quantity": pick.quantity,
                "unit_price": line.unit_price,
                "tax_rate_bp": line.tax_rate_bp,
                "amount": amounts.amount,
                "tax": amounts.tax,
            }
        )
    gst = split_gst(tax, intra_state=is_intra_state(seller.state_code, order.customer_state))
    total = net_amount(
        base=subtotal, cgst=gst.cgst, sgst=gst.sgst, igst=gst.igst, gst_exclusive=True
    )
    invoice_date = local_date(now, seller.time_zone)
    invoice: Row = {
        "seller_id": seller.id,
        "id": invoice_id,
        "entity_id": entity_id,
        "invoice_number": invoice_number(seller, entity_id),
        "external_id": None,
        "customer_id": order.customer_id,
        "order_id": order.id,
        "invoice_date": invoice_date,
        "due_date": add_days(invoice_date, seller.payment_terms_days),
        "description": None,
        "po_number": None,
        "base_amount": subtotal,
        "cgst": gst.cgst,
        "sgst": gst.sgst,
        "igst": gst.igst,
        "tds": 0,
        "gst_exclusive": True,
        "net_amount": total,
        "total_received": 0,
        "balance_amount": total,
        "partial_payment_allowed": True,
        "receivable_status": ReceivableStatus.CREATED.value,
        "status_before_payment": None,
        "approval_status": "APPROVED",
        "dispatched": False,
        "dispatched_at": None,
        "payment_link_key": None,
        "via": VIA_ORDER,
        "email_address": None,
        "mobile_number": None,
        "meta_fields": meta_fields,
        "extra": None,
        "bulk_job_id": None,
        "deleted": False,
        "version": 1,
        "created_by_id": principal.id,
        "created_by_name": principal.name,
        "created_by_type": principal.type,
        "modified_by_id": principal.id,
        "modified_by_name": principal.name,
        "created_at": now,
        "updated_at": now,
    }
    return InvoiceDraft(invoice=invoice, lines=lines)
