"""Order rules: who may buy, what a line may hold, and an order's totals."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from khata.auth.service import Caller
from khata.invoice.amounts import line_amounts
from khata.kit.errors import FieldError, ValidationFailed
from khata.kit.ids import new_object_id
from khata.kit.money import MoneyError, parse_amount, to_paise
from khata.models import OrderLine, SalesOrder
from khata.order import repository
from khata.order.errors import CustomerNotActive, CustomerNotFound, OrderNotFound
from khata.order.schemas import OrderCreate

# Beyond this an order total would not fit comfortably in a 64-bit paise column.
MAX_ORDER_TOTAL_PAISE = 10**15


@dataclass(frozen=True)
class OrderWithLines:
    order: SalesOrder
    lines: list[OrderLine]


def parse_tax_rate(value: Any) -> int:
    """A percentage 0-100 with at most 2 decimals, as basis points (18.5% = 1850)."""
    if isinstance(value, bool) or value is None:
        raise ValueError("must be a number")
    try:
        rate = Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise ValueError("must be a number") from exc
    if not rate.is_finite():
        raise ValueError("must be a finite number")
    if rate < 0 or rate > 100:
        raise ValueError("must be between 0 and 100")
    basis_points = rate * 100
    if basis_points != basis_points.to_integral_value():
        raise ValueError("must have at most 2 decimals")
    return int(basis_points)


def _validation(errors: list[FieldError]) -> ValidationFailed:
    summary = "Validation error: " + "; ".join(f"{e.field} {e.message}" for e in errors)
    return ValidationFailed(errors, summary)


async def create_order(
    session: AsyncSession, *, caller: Caller, body: OrderCreate, now: datetime
) -> OrderWithLines:
    errors: list[FieldError] = []
    prices: list[int] = []
    rates: list[int] = []
    for index, item in enumerate(body.lineItems):
        try:
            unit_price, _rounded = parse_amount(item.unitPrice)
            prices.append(to_paise(unit_price))
        except MoneyError as exc:
            errors.append(FieldError(f"lineItems[{index}].unitPrice", str(exc), item.unitPrice))
        try:
            rates.append(parse_tax_rate(item.taxRate))
        except ValueError as exc:
            errors.append(FieldError(f"lineItems[{index}].taxRate", str(exc), item.taxRate))
    if errors:
        raise _validation(errors)

    seller_id = caller.seller_id
    customer = await repository.get_customer(session, seller_id, body.customerId)
    if customer is None:
        raise CustomerNotFound(body.customerId)
    if customer.deleted or customer.status != "ACTIVE":
        raise CustomerNotActive(body.customerId, deleted=customer.deleted)

    order_id = new_object_id(now.timestamp())
    lines: list[OrderLine] = []
    subtotal = tax = 0
    for position, (item, price, rate) in enumerate(zip(body.lineItems, prices, rates, strict=True)):
        amounts = line_amounts(quantity=item.quantity, unit_price=price, tax_rate_bp=rate)
        subtotal += amounts.amount
        tax += amounts.tax
        lines.append(
            OrderLine(
                seller_id=seller_id,
                id=new_object_id(now.timestamp()),
                order_id=order_id,
                position=position,
                sku=item.sku,
                name=item.name,
                description=item.description,
                hsn_code=item.hsnCode,
                quantity=item.quantity,
                unit_price=price,
                tax_rate_bp=rate,
                invoiced_quantity=0,
            )
        )
    if subtotal + tax > MAX_ORDER_TOTAL_PAISE:
        raise _validation([FieldError("lineItems", "order total is too large", None)])
    order = SalesOrder(
        seller_id=seller_id,
        id=order_id,
        customer_id=customer.id,
        currency=body.currency or caller.seller.currency,
        subtotal=subtotal,
        tax=tax,
        total=subtotal + tax,
        meta_fields=body.metaFields or [],
        created_by_id=caller.principal.id,
        created_by_name=caller.principal.name,
        created_by_type=caller.principal.type,
        created_at=now,
        updated_at=now,
    )
    session.add(order)
    # The lines reference the order through a composite foreign key: order row first.
    await session.flush()
    session.add_all(lines)
    await session.flush()
    return OrderWithLines(order, lines)


async def get_order(session: AsyncSession, *, seller_id: str, order_id: str) -> OrderWithLines:
    order = await repository.get_order(session, seller_id, order_id)
    if order is None:
        raise OrderNotFound(order_id)
    lines = await repository.lines_of(session, seller_id, [order_id])
    return OrderWithLines(order, lines[order_id])


async def list_orders(
    session: AsyncSession,
    *,
    seller_id: str,
    customer_id: str | None,
    page: int,
    limit: int,
) -> tuple[list[OrderWithLines], int]:
    orders, total = await repository.list_orders(
        session,
        seller_id=seller_id,
        customer_id=customer_id,
        offset=(page - 1) * limit,
        limit=limit,
    )
    lines = await repository.lines_of(session, seller_id, [o.id for o in orders])
    return [OrderWithLines(o, lines[o.id]) for o in orders], total
