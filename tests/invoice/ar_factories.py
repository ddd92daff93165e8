"""Helpers for the AR invoice tests: a valid create body and one-call invoice creation."""

from datetime import date
from typing import Any

import httpx

from khata.kit.ids import new_object_id
from tests.support import SellerContext


def invoice_body(customer_id: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "customerId": customer_id,
        "invoiceNumber": f"AR-{new_object_id()[-10:]}",
        "invoiceDate": "2026-11-01",
        "dueDate": "2026-11-30",
        "baseAmount": 1000,
        "cgst": 90,
        "sgst": 90,
    }
    body.update(overrides)
    return body


async def create_invoice(
    client: httpx.AsyncClient, seller: SellerContext, customer_id: str, **overrides: Any
) -> dict[str, Any]:
    response = await client.post(
        "/api/v0/invoice", json=invoice_body(customer_id, **overrides), headers=seller.headers
    )
    assert response.status_code == 200, response.text
    payload: dict[str, Any] = response.json()["payload"]
    return payload


async def dispatch(
    client: httpx.AsyncClient, seller: SellerContext, *invoice_ids: str
) -> dict[str, Any]:
    response = await client.post(
        "/api/v0/invoice/bulk/dispatch",
        json={"invoiceIds": list(invoice_ids)},
        headers=seller.headers,
    )
    assert response.status_code == 200, response.text
    payload: dict[str, Any] = response.json()["payload"]
    return payload


TODAY = date(2026, 11, 21)


async def report_payment(
    client: httpx.AsyncClient,
    seller: SellerContext,
    allocations: list[tuple[str, float]],
    *,
    payment_type: str = "OFFPLATFORM",
    payment_id: str | None = None,
) -> httpx.Response:
    body = {
        "paymentId": payment_id or f"PAY-{new_object_id()}",
        "type": payment_type,
        "mode": "NEFT",
        "utr": "UTR123",
        "amount": round(sum(amount for _, amount in allocations), 2),
        "paidOn": "2026-11-20",
        "invoices": [{"invoiceId": i, "amount": amount} for i, amount in allocations],
    }
    return await client.post("/api/v0/payment", json=body, headers=seller.headers)


async def confirm(
    client: httpx.AsyncClient,
    seller: SellerContext,
    payment_id: str,
    response: str = "ACCEPT",
    **extra: Any,
) -> httpx.Response:
    body = {"paymentId": payment_id, "response": response, "remarks": "checked", **extra}
    return await client.post(
        "/api/v0/invoice/payment-confirmation", json=body, headers=seller.headers
    )


async def get_invoice(
    client: httpx.AsyncClient, seller: SellerContext, invoice_id: str
) -> dict[str, Any]:
    response = await client.get(f"/api/v0/invoice/{invoice_id}", headers=seller.headers)
    assert response.status_code == 200, response.text
    payload: dict[str, Any] = response.json()["payload"]
    return payload
