"""Every query of the order domain, including the set-based reads and row locks of invoicing
orders (one statement per step however many orders: ids go in as one array on PostgreSQL)."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from khata.customer import repository as customer_repository
from khata.kit.sql import one_of
from khata.models import OrderLine, SalesOrder
from khata.models.customer import CustomerStatus


async def get_order(session: AsyncSession, seller_id: str, order_id: str) -> SalesOrder | None:
    return await session.get(SalesOrder, (seller_id, order_id))


async def lines_of(
    session: AsyncSession, seller_id: str, order_ids: Sequence[str]
) -> dict[str, list[OrderLine]]:
    """The lines of several orders in one statement, in their original order."""
    found: dict[str, list[OrderLine]] = {order_id: [] for order_id in order_ids}
    if not order_ids:
        return found
    result = await session.execute(
        select(OrderLine)
        .where(OrderLine.seller_id == seller_id, OrderLine.order_id.in_(order_ids))
        .order_by(OrderLine.order_id, OrderLine.position)
    )
    for line in result.scalars():
        found[line.order_id].append(line)
    return found


async def list_orders(
    session: AsyncSession,
    *,
    seller_id: str,
    customer_id: str | None,
    offset: int,
    limit: int,
) -> tuple[list[SalesOrder], int]:
    conditions = [SalesOrder.seller_id == seller_id]
    if customer_id is not None:
        conditions.append(SalesOrder.customer_id == customer_id)
    total = await session.scalar(select(func.count()).select_from(SalesOrder).where(*conditions))
    result = await session.execute(
        select(SalesOrder)
        .where(*conditions)
        .order_by(SalesOrder.created_at.desc(), SalesOrder.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return list(result.scalars()), int(total or 0)


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


async def order_heads(
    session: AsyncSession, seller_id: str, order_ids: Sequence[str]
) -> dict[str, OrderHead]:
    # Orders, then their customers by key: one statement joining them let PostgreSQL, without
    # statistics (a fresh table, autovacuum not yet round), walk every order of every customer
    # of the seller (150 ms at 100,000 orders) or probe customers through the wrong index.
    result = await session.execute(
        select(SalesOrder.id, SalesOrder.customer_id).where(
            SalesOrder.seller_id == seller_id, one_of(session, SalesOrder.id, order_ids)
        )
    )
    orders = result.all()
    customers = await customer_repository.customers_by_ids(
        session, seller_id, {row.customer_id for row in orders}
    )
    return {
        row.id: OrderHead(
            id=row.id,
            customer_id=row.customer_id,
            customer_state=customers[row.customer_id].state,
            customer_active=customers[row.customer_id].status == CustomerStatus.ACTIVE,
            customer_deleted=bool(customers[row.customer_id].deleted),
        )
        for row in orders
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
