"""Invoicing orders: in bulk (all that is left of each order), one at a time, and giving the
quantities back when such an invoice is deleted.

Every path locks the order lines it invoices before reading what is left, so two requests over
the same order never both invoice it: the second waits, then sees nothing left (409).
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from khata.audit import repository as audit_repository
from khata.audit import service as audit
from khata.auth.service import Caller
from khata.invoice import repository
from khata.invoice.commerce_schemas import InvoiceCreate
from khata.invoice.errors import (
    DuplicateInvoiceNumber,
    OrderCustomerNotActive,
    OrderFullyInvoiced,
    OrderLineNotFound,
    QuantityExceedsRemaining,
)
from khata.invoice.from_orders import InvoiceDraft, Pick, build_invoices
from khata.invoice.numbering import allocate_entity_ids
from khata.invoice.repository import Row
from khata.invoice.snapshot import invoice_snapshot
from khata.invoice.webhook_events import record_created
from khata.models.audit_entry import AuditAction
from khata.order import repository as order_repository
from khata.order.errors import OrderNotFound
from khata.order.repository import LineState, OrderHead
from khata.order.service import meta_fields_errors, validation_error


def _check_customer(order: OrderHead) -> None:
    if order.customer_deleted or not order.customer_active:
        raise OrderCustomerNotActive(order.id, deleted=order.customer_deleted)


def _audit_row(caller: Caller, draft: InvoiceDraft, now: datetime) -> Row:
    return audit.entry_row(
        principal=caller.principal,
        seller_id=caller.seller_id,
        entity_type="invoice",
        entity_id=draft.invoice["id"],
        action=AuditAction.CREATED,
        now=now,
        after=invoice_snapshot(draft.invoice),
    )


async def _save(
    session: AsyncSession,
    *,
    caller: Caller,
    orders: Sequence[OrderHead],
    picks: Sequence[Sequence[Pick]],
    meta_fields: list[Any],
    now: datetime,
) -> list[InvoiceDraft]:
    """Number, build and insert one invoice per order, in a fixed number of statements."""
    entity_ids = await allocate_entity_ids(session, seller_id=caller.seller_id, count=len(orders))
    drafts = build_invoices(
        seller=caller.seller,
        principal=caller.principal,
        orders=orders,
        picks=picks,
        entity_ids=entity_ids,
        now=now,
        meta_fields=meta_fields,
    )
    # Invoice numbers given in the AR dialect share the unique key: refuse cleanly, not with
    # an IntegrityError (the rollback returns the entityIds, so no gap is left).
    numbers = [draft.invoice["invoice_number"] for draft in drafts]
    taken = await repository.taken_invoice_numbers(session, caller.seller_id, numbers)
    if taken:
        first_taken = next(number for number in numbers if number in set(taken))
        raise DuplicateInvoiceNumber(first_taken)
    await repository.insert_invoices(
        session,
        [draft.invoice for draft in drafts],
        [line for draft in drafts for line in draft.lines],
    )
    await audit_repository.insert_rows(
        session, [_audit_row(caller, draft, now) for draft in drafts]
    )
    invoice_ids = [str(draft.invoice["id"]) for draft in drafts]
    await record_created(session, seller=caller.seller, invoice_ids=invoice_ids, now=now)
    return drafts


async def create_bulk(
    session: AsyncSession, *, caller: Caller, order_ids: Sequence[str], now: datetime
) -> list[InvoiceDraft]:
    """One invoice per order for all that is left of every line; all or nothing."""
    seller_id = caller.seller_id
    heads = await order_repository.order_heads(session, seller_id, order_ids)
    for order_id in order_ids:
        if order_id not in heads:
            raise OrderNotFound(order_id)
    lines = await order_repository.lock_order_lines(session, seller_id, order_ids)
    picks: list[list[Pick]] = []
    for order_id in order_ids:
        _check_customer(heads[order_id])
        left = [Pick(line, line.remaining) for line in lines[order_id] if line.remaining > 0]
        if not left:
            raise OrderFullyInvoiced(order_id)
        picks.append(left)
    drafts = await _save(
        session,
        caller=caller,
        orders=[heads[order_id] for order_id in order_ids],
        picks=picks,
        meta_fields=[],
        now=now,
    )
    await order_repository.mark_orders_fully_invoiced(session, seller_id, order_ids)
    return drafts


def _picks_asked(order_lines: list[LineState], body: InvoiceCreate) -> list[Pick]:
    if body.lineItems is None:
        left = [Pick(line, line.remaining) for line in order_lines if line.remaining > 0]
        if not left:
            raise OrderFullyInvoiced(body.orderId)
        return left
    by_id = {line.id: line for line in order_lines}
    asked: dict[str, int] = {}
    for item in body.lineItems:
        if item.lineItemId not in by_id:
            raise OrderLineNotFound(item.lineItemId)
        # The same line named twice adds up, and the sum must still fit what is left.
        asked[item.lineItemId] = asked.get(item.lineItemId, 0) + item.quantity
    picks = []
    for line in order_lines:  # in the order's own line order
        quantity = asked.get(line.id)
        if quantity is None:
            continue
        if quantity > line.remaining:
            raise QuantityExceedsRemaining(line.id, line.remaining)
        picks.append(Pick(line, quantity))
    return picks


async def create_one(
    session: AsyncSession, *, caller: Caller, body: InvoiceCreate, now: datetime
) -> InvoiceDraft:
    """One invoice from one order, for all that is left or for the lines and quantities asked."""
    problems = meta_fields_errors(body.metaFields)
    if problems:
        raise validation_error(problems)
    seller_id = caller.seller_id
    heads = await order_repository.order_heads(session, seller_id, [body.orderId])
    order = heads.get(body.orderId)
    if order is None:
        raise OrderNotFound(body.orderId)
    lines = await order_repository.lock_order_lines(session, seller_id, [order.id])
    _check_customer(order)
    picks = _picks_asked(lines[order.id], body)
    (draft,) = await _save(
        session,
        caller=caller,
        orders=[order],
        picks=[picks],
        meta_fields=body.metaFields or [],
        now=now,
    )
    await order_repository.add_invoiced_quantities(
        session, seller_id, {pick.line.id: pick.quantity for pick in picks}
    )
    return draft


async def release_order_quantities(
    session: AsyncSession, *, seller_id: str, invoice_ids: list[str]
) -> None:
    """Give the quantities of invoices being deleted back to their order lines, so they can be
    invoiced again (both dialects' deletes call this). A constant number of statements."""
    if not invoice_ids:
        return
    lines = await repository.lines_of_invoices(session, seller_id, invoice_ids)
    freed: dict[str, int] = {}
    for invoice_lines in lines.values():
        for line in invoice_lines:
            if line.order_line_id is not None:
                freed[line.order_line_id] = freed.get(line.order_line_id, 0) - line.quantity
    if freed:
        await order_repository.lock_lines_by_id(session, seller_id, sorted(freed))
        await order_repository.add_invoiced_quantities(session, seller_id, freed)
