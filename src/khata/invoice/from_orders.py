"""Building an invoice from an order's lines: amounts, GST split, number and dates (no I/O)."""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from khata.invoice.repository import Row
from khata.invoice.rows import Author, InvoiceRowMaker
from khata.kit.amounts import is_intra_state, split_gst
from khata.kit.ids import new_object_ids
from khata.kit.timeutil import add_days, local_date
from khata.models import Principal, Seller
from khata.models.invoice import InvoiceVia
from khata.order.repository import LineState, OrderHead


@dataclass(frozen=True, slots=True)
class Pick:
    """How much of one order line goes on the invoice."""

    line: LineState
    quantity: int


@dataclass(frozen=True, slots=True)
class InvoiceDraft:
    invoice: Row  # every column of `invoice`, ready for a batched insert
    lines: list[Row]  # every column of `invoice_line`


def line_tax(amount: int, tax_rate_bp: int) -> int:
    """amount x rate / 100, rounded half-up to the paisa, in integers: the same figure as
    `amounts.line_amounts` (amounts are never negative), without a Decimal per line."""
    return (amount * tax_rate_bp * 2 + 10_000) // 20_000


def build_invoices(
    *,
    seller: Seller,
    principal: Principal,
    orders: Sequence[OrderHead],
    picks: Sequence[Sequence[Pick]],
    entity_ids: Sequence[int],
    now: datetime,
    meta_fields: list[Any],
) -> list[InvoiceDraft]:
    """One invoice per order. Tax per line (rounded half-up to the paisa), then the total split
    by place of supply: CGST+SGST when the customer is in the seller's state, IGST otherwise.

    What every invoice of the request shares (dates, ids' prefix, who made it) is worked out
    once: a bulk request builds a thousand of them.
    """
    invoice_date = local_date(now, seller.time_zone)
    due_date = add_days(invoice_date, seller.payment_terms_days)
    ids = iter(new_object_ids(now.timestamp(), len(orders) + sum(map(len, picks))))
    seller_id, seller_state = seller.id, seller.state_code
    maker = InvoiceRowMaker(
        seller_id=seller_id,
        invoice_prefix=seller.invoice_prefix,
        author=Author(principal.id, principal.name, principal.type),
        now=now,
        via=InvoiceVia.ORDER.value,
        meta_fields=meta_fields,
    )
    drafts: list[InvoiceDraft] = []
    for order, order_picks, entity_id in zip(orders, picks, entity_ids, strict=True):
        invoice_id = next(ids)
        lines = _lines(seller_id, invoice_id, order_picks, ids)
        subtotal = sum(line["amount"] for line in lines)
        tax = sum(line["tax"] for line in lines)
        gst = split_gst(tax, intra_state=is_intra_state(seller_state, order.customer_state))
        invoice = maker.values(
            id=invoice_id,
            entity_id=entity_id,
            invoice_number=maker.invoice_number(entity_id),
            customer_id=order.customer_id,
            order_id=order.id,
            invoice_date=invoice_date,
            due_date=due_date,
            base_amount=subtotal,
            cgst=gst.cgst,
            sgst=gst.sgst,
            igst=gst.igst,
        )
        drafts.append(InvoiceDraft(invoice=invoice, lines=lines))
    return drafts


def _lines(seller_id: str, invoice_id: str, picks: Sequence[Pick], ids: Iterator[str]) -> list[Row]:
    """The invoice_line rows of one invoice: tax per line, rounded half-up to the paisa."""
    lines: list[Row] = []
    for position, pick in enumerate(picks):
        line = pick.line
        amount = pick.quantity * line.unit_price
        lines.append(
            {
                "seller_id": seller_id,
                "id": next(ids),
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
                "amount": amount,
                "tax": line_tax(amount, line.tax_rate_bp),
            }
        )
    return lines
