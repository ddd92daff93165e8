"""Helpers of the credit-note tests: issue a credit note, write off, read an invoice."""

from typing import Any

import httpx

from tests.support import SellerContext


async def credit(
    client: httpx.AsyncClient, seller: SellerContext, invoice_id: str, **body: Any
) -> httpx.Response:
    body.setdefault("reason", "Goods returned")
    return await client.post(
        f"/api/v0/invoice/{invoice_id}/credit-note", json=body, headers=seller.headers
    )


async def credited(
    client: httpx.AsyncClient, seller: SellerContext, invoice_id: str, **body: Any
) -> dict[str, Any]:
    response = await credit(client, seller, invoice_id, **body)
    assert response.status_code == 200, response.text
    payload: dict[str, Any] = response.json()["payload"]
    return payload


async def write_off(
    client: httpx.AsyncClient, seller: SellerContext, invoice_id: str, **body: Any
) -> httpx.Response:
    body.setdefault("reason", "Buyer insolvent")
    return await client.post(
        f"/api/v0/invoice/{invoice_id}/write-off", json=body, headers=seller.headers
    )
