"""Order factories for tests: through the API (one order) or by bulk insert (thousands)."""

from typing import Any

import httpx
from sqlalchemy import insert

from khata.kit.amounts import line_amounts
from khata.kit.ids import new_object_id
from khata.models import OrderLine, SalesOrder
from tests.support import Database, SellerContext, suite_now

THREE_LINES: list[dict[str, Any]] = [
    {"sku": "A-1", "name": "Widget", "quantity": 30, "unitPrice": 100.05, "taxRate": 18},
    {"sku": "B-2", "name": "Gadget", "quantity": 20, "unitPrice": 49.99, "taxRate": 12},
    {"sku": "C-3", "name": "Gizmo", "quantity": 7, "unitPrice": 13.37, "taxRate": 5},
]


async def post_order(
    client: httpx.AsyncClient,
    seller: SellerContext,
    customer_id: str,
    line_items: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    response = await client.post(
        "/orders",
        headers=seller.headers,
        json={"customerId": customer_id, "lineItems": line_items or THREE_LINES},
    )
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


async def insert_orders(
    database: Database,
    seller_id: str,
    customer_id: str,
    count: int,
    *,
    lines_per_order: int = 3,
) -> list[str]:
    """Write `count` orders straight into the tables with two batched inserts (fast)."""
    now = suite_now()
    orders: list[dict[str, Any]] = []
    lines: list[dict[str, Any]] = []
    for _ in range(count):
        order_id = new_object_id()
        subtotal = tax = 0
        for position in range(lines_per_order):
            quantity, unit_price, rate = 2 + position, 10_050 + position, 1800
            amounts = line_amounts(quantity=quantity, unit_price=unit_price, tax_rate_bp=rate)
            subtotal += amounts.amount
            tax += amounts.tax
            lines.append(
                {
                    "seller_id": seller_id,
                    "id": new_object_id(),
                    "order_id": order_id,
                    "position": position,
                    "sku": f"SKU-{position}",
                    "name": f"Item {position}",
                    "description": None,
                    "hsn_code": "8471",
                    "quantity": quantity,
                    "unit_price": unit_price,
                    "tax_rate_bp": rate,
                    "invoiced_quantity": 0,
                }
            )
        orders.append(
            {
                "seller_id": seller_id,
                "id": order_id,
                "customer_id": customer_id,
                "currency": "INR",
                "subtotal": subtotal,
                "tax": tax,
                "total": subtotal + tax,
                "meta_fields": [],
                "created_by_id": None,
                "created_by_name": None,
                "created_by_type": None,
                "created_at": now,
                "updated_at": now,
            }
        )
    async with database.session_factory() as session, session.begin():
        await session.execute(insert(SalesOrder), orders)
        await session.execute(insert(OrderLine), lines)
    return [o["id"] for o in orders]
