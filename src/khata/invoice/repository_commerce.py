"""Every query of invoicing orders: set-based reads, row locks and batched writes.

The bulk path sends a fixed number of statements however many orders it holds: each read
takes all ids at once (one array parameter on PostgreSQL), each insert is one COPY (one
executemany on SQLite), the order lines one UPDATE.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import (
    case,
    func,
    inspect,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from khata.kit.sql import insert_records, one_of, table_columns
from khata.models import (
    AuditEntry,
    Base,
    Customer,
    Delivery,
    DeliveryInvoice,
    Invoice,
    InvoiceLine,
    OrderLine,
    SalesOrder,
)
from khata.models.customer import CustomerStatus
from khata.models.delivery import DeliveryChannel, DeliveryStatus

Row = dict[str, Any]
_INVOICE_COLUMNS = [attr.key for attr in inspect(Invoice).column_attrs]
_INVOICE_LINE_COLUMNS = [attr.key for attr in inspect(InvoiceLine).column_attrs]


@dataclass(frozen=True, slots=True)
class OrderHead:
    """An order with what invoicing needs to know of its customer."""

    id: str
    customer_id: str
    customer_state: str | None
    customer_active: bool
    customer_deleted: bool


@dataclass(frozen=True, slots=True)
class LineState:
    id: str
    order_id: str
    position: int
    sku: str | None
    name: str
    description: str | None
    hsn_code: str | None
    quantity: int
    unit_price: int
    tax_rate_bp: int
    invoiced_quantity: int

    @property
    def remaining(self) -> int:
        return self.quantity - self.invoiced_quantity


def as_row(invoice: Invoice) -> Row:
    return {key: getattr(invoice, key) for key in _INVOICE_COLUMNS}


def line_as_row(line: InvoiceLine) -> Row:
    return {key: getattr(line, key) for key in _INVOICE_LINE_COLUMNS}


async def order_heads(
    session: AsyncSession, seller_id: str, order_ids: Sequence[str]
) -> dict[str, OrderHead]:
    result = await session.execute(
        select(
            SalesOrder.id,
            SalesOrder.customer_id,
            Customer.state,
            Customer.status,
            Customer.deleted,
        )
        .join(
            Customer,
            (Customer.seller_id == SalesOrder.seller_id) & (Customer.id == SalesOrder.customer_id),
        )
        .where(SalesOrder.seller_id == seller_id, one_of(session, SalesOrder.id, order_ids))
    )
    return {
        row.id: OrderHead(
            id=row.id,
            customer_id=row.customer_id,
            customer_state=row.state,
            customer_active=row.status == CustomerStatus.ACTIVE,
            customer_deleted=bool(row.deleted),
        )
        for row in result
    }


async def lock_order_lines(
    session: AsyncSession, seller_id: str, order_ids: Sequence[str]
) -> dict[str, list[LineState]]:
    """The lines of these orders, locked until the transaction ends (FOR UPDATE on PostgreSQL;
    SQLite's BEGIN IMMEDIATE already serialises writers). Rows are locked in id order, so two
    requests over overlapping orders queue instead of deadlocking, and the quantities read here
    are the latest committed ones."""
    result = await session.execute(
        select(
            OrderLine.id,
            OrderLine.order_id,
            OrderLine.position,
            OrderLine.sku,
            OrderLine.name,
            OrderLine.description,
            OrderLine.hsn_code,
            OrderLine.quantity,
            OrderLine.unit_price,
            OrderLine.tax_rate_bp,
            OrderLine.invoiced_quantity,
        )
        .where(OrderLine.seller_id == seller_id, one_of(session, OrderLine.order_id, order_ids))
        .order_by(OrderLine.id)
        .with_for_update()
    )
    lines: dict[str, list[LineState]] = {order_id: [] for order_id in order_ids}
    for row in result:
        lines[row.order_id].append(LineState(*row))
    for order_lines in lines.values():
        order_lines.sort(key=lambda line: line.position)
    return lines


async def lock_lines_by_id(
    session: AsyncSession, seller_id: str, line_ids: Sequence[str]
) -> list[str]:
    result = await session.execute(
        select(OrderLine.id)
        .where(OrderLine.seller_id == seller_id, one_of(session, OrderLine.id, line_ids))
        .order_by(OrderLine.id)
        .with_for_update()
    )
    return list(result.scalars())


async def taken_invoice_numbers(
    session: AsyncSession, seller_id: str, numbers: Sequence[str]
) -> list[str]:
    result = await session.execute(
        select(Invoice.invoice_number).where(
            Invoice.seller_id == seller_id, one_of(session, Invoice.invoice_number, numbers)
        )
    )
    return list(result.scalars())


async def _insert_many(session: AsyncSession, model: type[Base], rows: Sequence[Row]) -> None:
    """One batch insert of rows that carry every column: one COPY (executemany on SQLite)."""
    if rows:
        getter = itemgetter(*table_columns(model.__table__))
        await insert_records(session, model.__table__, [getter(row) for row in rows])


async def insert_invoices(
    session: AsyncSession,
    invoices: Sequence[Row],
    lines: Sequence[Row],
    audit_entries: Sequence[Row],
) -> None:
    """Three statements, however many invoices."""
    await _insert_many(session, Invoice, invoices)
    await _insert_many(session, InvoiceLine, lines)
    await _insert_many(session, AuditEntry, audit_entries)


async def mark_orders_fully_invoiced(
    session: AsyncSession, seller_id: str, order_ids: Sequence[str]
) -> None:
    """A bulk invoice takes all that is left of every line: one UPDATE for all its orders."""
    await session.execute(
        update(OrderLine)
        .where(OrderLine.seller_id == seller_id, one_of(session, OrderLine.order_id, order_ids))
        .values(invoiced_quantity=OrderLine.quantity)
        .execution_options(synchronize_session=False)
    )


async def add_invoiced_quantities(
    session: AsyncSession, seller_id: str, deltas: Mapping[str, int]
) -> None:
    """invoiced_quantity += delta per line (negative frees), one UPDATE with a CASE."""
    if not deltas:
        return
    await session.execute(
        update(OrderLine)
        .where(OrderLine.seller_id == seller_id, one_of(session, OrderLine.id, list(deltas)))
        .values(
            invoiced_quantity=OrderLine.invoiced_quantity
            + case(dict(deltas), value=OrderLine.id, else_=0)
        )
        .execution_options(synchronize_session=False)
    )


async def get_invoice(
    session: AsyncSession, seller_id: str, invoice_id: str, *, for_update: bool = False
) -> Invoice | None:
    query = select(Invoice).where(
        Invoice.seller_id == seller_id, Invoice.id == invoice_id, Invoice.deleted.is_(False)
    )
    if for_update:
        query = query.with_for_update()
    result = await session.execute(query)
    return result.scalar_one_or_none()


async def lines_of_invoices(
    session: AsyncSession, seller_id: str, invoice_ids: Sequence[str]
) -> dict[str, list[InvoiceLine]]:
    found: dict[str, list[InvoiceLine]] = {invoice_id: [] for invoice_id in invoice_ids}
    if not invoice_ids:
        return found
    result = await session.execute(
        select(InvoiceLine)
        .where(
            InvoiceLine.seller_id == seller_id,
            one_of(session, InvoiceLine.invoice_id, invoice_ids),
        )
        .order_by(InvoiceLine.invoice_id, InvoiceLine.position)
    )
    for line in result.scalars():
        found[line.invoice_id].append(line)
    return found


async def mails_sent(
    session: AsyncSession, seller_id: str, invoice_ids: Sequence[str]
) -> dict[str, list[tuple[str, datetime]]]:
    """Each invoice's e-mails the worker has sent: (recipient, sent_at), oldest first."""
    found: dict[str, list[tuple[str, datetime]]] = {invoice_id: [] for invoice_id in invoice_ids}
    if not invoice_ids:
        return found
    result = await session.execute(
        select(DeliveryInvoice.invoice_id, Delivery.recipient, Delivery.sent_at)
        .join(
            Delivery,
            (Delivery.seller_id == DeliveryInvoice.seller_id)
            & (Delivery.id == DeliveryInvoice.delivery_id),
        )
        .where(
            DeliveryInvoice.seller_id == seller_id,
            one_of(session, DeliveryInvoice.invoice_id, invoice_ids),
            Delivery.channel == DeliveryChannel.EMAIL,
            Delivery.status == DeliveryStatus.SENT,
            Delivery.sent_at.is_not(None),
        )
        .order_by(Delivery.sent_at, Delivery.id)
    )
    for invoice_id, recipient, sent_at in result:
        if sent_at is not None:
            found[invoice_id].append((recipient, sent_at))
    return found


async def list_invoices(
    session: AsyncSession,
    *,
    seller_id: str,
    order_id: str | None,
    customer_id: str | None,
    offset: int,
    limit: int,
) -> tuple[list[Invoice], int]:
    conditions = [Invoice.seller_id == seller_id, Invoice.deleted.is_(False)]
    if order_id is not None:
        conditions.append(Invoice.order_id == order_id)
    if customer_id is not None:
        conditions.append(Invoice.customer_id == customer_id)
    total = await session.scalar(select(func.count()).select_from(Invoice).where(*conditions))
    result = await session.execute(
        select(Invoice)
        .where(*conditions)
        .order_by(Invoice.created_at.desc(), Invoice.entity_id.desc())
        .offset(offset)
        .limit(limit)
    )
    return list(result.scalars()), int(total or 0)
