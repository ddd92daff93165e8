"""Every query of the order domain."""

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from khata.models import Customer, OrderLine, SalesOrder


async def get_customer(session: AsyncSession, seller_id: str, customer_id: str) -> Customer | None:
    return await session.get(Customer, (seller_id, customer_id))


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
