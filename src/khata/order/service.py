"""Order rules: who may buy, what a line may hold, and an order's totals."""

import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from khata.auth.service import Caller
from khata.customer import repository as customer_repository
from khata.kit.amounts import line_amounts
from khata.kit.errors import FieldError, ValidationFailed
from khata.kit.ids import new_object_id
from khata.kit.money import MAX_AMOUNT, MoneyError, parse_amount, to_paise
from khata.models import OrderLine, SalesOrder
from khata.models.customer import CustomerStatus
from khata.order import repository
from khata.order.errors import CustomerNotActive, CustomerNotFound, OrderNotFound
from khata.order.schemas import OrderCreate

# Beyond this an order total would not fit comfortably in a 64-bit paise column.
MAX_ORDER_TOTAL_PAISE = 10**15
_HUNDREDTH = Decimal("0.01")
# Levels of lists and objects in metaFields (the list itself is level 1).
MAX_META_DEPTH = 32


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
    # Compared exactly, outside the decimal context: there 1e-999999999 x 100 underflows to 0
    # and would pass as a 0% rate.
    if rate.quantize(_HUNDREDTH) != rate:
        raise ValueError("must have at most 2 decimals")
    return int(rate.scaleb(2))


def parse_unit_price(value: Any) -> int:
    """A unit price in paise (kit.money rules). "1e999999999" overflows the decimal context
    inside parse_amount (decimal.Overflow, not a MoneyError: a 500 before); it is as much too
    large as 1e30 and says so."""
    try:
        unit_price, _rounded = parse_amount(value)
    except MoneyError:
        raise
    except ArithmeticError as exc:
        raise MoneyError(f"must not exceed {MAX_AMOUNT}") from exc
    return to_paise(unit_price)


def _depth(value: Any) -> int:
    """How deeply lists and objects nest in a JSON value (iteratively: no recursion limit)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in item)
    return deepest


def meta_fields_errors(meta_fields: list[Any] | None) -> list[FieldError]:
    """metaFields are stored and answered as given, so they must be JSON that every layer can
    carry: Python's parser lets NaN, Infinity and 1e400 through (PostgreSQL's jsonb refused
    them: a 500), and a few hundred nested levels broke the response encoder (a 500)."""
    if meta_fields is None:
        return []
    if _depth(meta_fields) > MAX_META_DEPTH:
        return [FieldError("metaFields", f"must not nest deeper than {MAX_META_DEPTH}", None)]
    try:
        json.dumps(meta_fields, allow_nan=False)
    except ValueError:
        return [FieldError("metaFields", "must not contain NaN or Infinity", None)]
    return []


def validation_error(errors: list[FieldError]) -> ValidationFailed:
    summary = "Validation error: " + "; ".join(f"{e.field} {e.message}" for e in errors)
    return ValidationFailed(errors, summary)


async def create_order(
    session: AsyncSession, *, caller: Caller, body: OrderCreate, now: datetime
) -> OrderWithLines:
    prices, rates = _checked_prices_and_rates(body)
    seller_id = caller.seller_id
    customer = await customer_repository.get_customer(session, seller_id, body.customerId)
    if customer is None:
        raise CustomerNotFound(body.customerId)
    if customer.deleted or customer.status != CustomerStatus.ACTIVE:
        raise CustomerNotActive(body.customerId, deleted=customer.deleted)

    order_id = new_object_id(now.timestamp())
    lines = _order_lines(body, prices, rates, seller_id=seller_id, order_id=order_id, now=now)
    subtotal = tax = 0
    for line in lines:
        amounts = line_amounts(
            quantity=line.quantity, unit_price=line.unit_price, tax_rate_bp=line.tax_rate_bp
        )
        subtotal += amounts.amount
        tax += amounts.tax
    if subtotal + tax > MAX_ORDER_TOTAL_PAISE:
        raise validation_error([FieldError("lineItems", "order total is too large", None)])
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


def _checked_prices_and_rates(body: OrderCreate) -> tuple[list[int], list[int]]:
    """Each line's unit price (paise) and tax rate (basis points), or every field error of the
    lines and the metaFields."""
    errors: list[FieldError] = []
    prices: list[int] = []
    rates: list[int] = []
    for index, item in enumerate(body.lineItems):
        try:
            prices.append(parse_unit_price(item.unitPrice))
        except MoneyError as exc:
            errors.append(FieldError(f"lineItems[{index}].unitPrice", str(exc), item.unitPrice))
        try:
            rates.append(parse_tax_rate(item.taxRate))
        except ValueError as exc:
            errors.append(FieldError(f"lineItems[{index}].taxRate", str(exc), item.taxRate))
    errors += meta_fields_errors(body.metaFields)
    if errors:
        raise validation_error(errors)
    return prices, rates


def _order_lines(
    body: OrderCreate,
    prices: list[int],
    rates: list[int],
    *,
    seller_id: str,
    order_id: str,
    now: datetime,
) -> list[OrderLine]:
    return [
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
        for position, (item, price, rate) in enumerate(
            zip(body.lineItems, prices, rates, strict=True)
        )
    ]


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
