"""Helpers for the commerce invoice tests: post a bulk request, read rows behind the API."""

from typing import Any

import httpx
from sqlalchemy import func, select

from khata.models import Invoice, InvoiceLine
from tests.support import Database, SellerContext

ORDER_IDS_MESSAGE = "Validation error: orderIds is required and must be an array"


async def bulk(
    client: httpx.AsyncClient, seller: SellerContext, order_ids: list[str]
) -> httpx.Response:
    return await client.post("/invoices/bulk", headers=seller.headers, json={"orderIds": order_ids})


async def invoice_rows(database: Database, seller_id: str) -> list[Invoice]:
    async with database.session_factory() as session:
        result = await session.execute(
            select(Invoice).where(Invoice.seller_id == seller_id).order_by(Invoice.entity_id)
        )
        return list(result.scalars())


async def invoice_line_count(database: Database, seller_id: str) -> int:
    async with database.session_factory() as session:
        count = await session.scalar(
            select(func.count()).select_from(InvoiceLine).where(InvoiceLine.seller_id == seller_id)
        )
        return int(count or 0)


async def get_order(
    client: httpx.AsyncClient, seller: SellerContext, order_id: str
) -> dict[str, Any]:
    response = await client.get(f"/orders/{order_id}", headers=seller.headers)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data
