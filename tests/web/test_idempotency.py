"""Idempotency-Key over HTTP in both dialects: replay, refusal of a changed body, 24 hours,
tenant walls, and concurrent identical requests running once."""

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import func, select

from khata.models import Invoice, SalesOrder
from khata.web.idempotency import request_fingerprint
from tests.invoice.ar_factories import invoice_body
from tests.support import Clock, Database, SellerContext, create_customer


async def _count(database: Database, model: Any, seller_id: str) -> int:
    async with database.session_factory() as session:
        total = await session.scalar(
            select(func.count()).select_from(model).where(model.seller_id == seller_id)
        )
        return int(total or 0)


def test_fingerprint_ignores_key_order_and_spacing_but_not_content() -> None:
    one = request_fingerprint("POST", "/orders", b"", b'{"a": 1, "b": [1, 2]}')
    assert one == request_fingerprint("POST", "/orders", b"", b'{"b":[1,2],"a":1}')
    assert one != request_fingerprint("POST", "/orders", b"", b'{"a": 2, "b": [1, 2]}')
    assert one != request_fingerprint("POST", "/invoices", b"", b'{"a": 1, "b": [1, 2]}')


async def test_ar_create_replays_and_refuses_a_changed_body(
    client: httpx.AsyncClient, seller: SellerContext, database: Database
) -> None:
    customer_id = await create_customer(database, seller.seller_id)
    body = invoice_body(customer_id, invoiceNumber="IDEM-1")
    headers = {**seller.headers, "Idempotency-Key": "create-1"}
    first = await client.post("/api/v0/invoice", json=body, headers=headers)
    assert first.status_code == 200, first.text
    second = await client.post("/api/v0/invoice", json=body, headers=headers)
    assert second.status_code == 200
    assert second.json() == first.json()
    assert second.headers["idempotent-replayed"] == "true"
    assert await _count(database, Invoice, seller.seller_id) == 1

    changed = await client.post(
        "/api/v0/invoice", json={**body, "baseAmount": 2000}, headers=headers
    )
    assert changed.status_code == 422
    error = changed.json()["errorResponse"]
    assert error["errorType"] == "UNPROCESSABLE_REQUEST"
    assert error["errorMessage"] == "Idempotency-Key was already used with a different request"
    assert await _count(database, Invoice, seller.seller_id) == 1

    # Without the header the same body is a new request (and its number clashes).
    clash = await client.post("/api/v0/invoice", json=body, headers=seller.headers)
    assert clash.status_code == 422


async def test_an_error_answer_is_replayed_too(
    client: httpx.AsyncClient, seller: SellerContext, database: Database
) -> None:
    body = invoice_body("KCNOSUCHCUSTOMER")
    headers = {**seller.headers, "Idempotency-Key": "missing-customer"}
    first = await client.post("/api/v0/invoice", json=body, headers=headers)
    assert first.status_code == 404
    second = await client.post("/api/v0/invoice", json=body, headers=headers)
    assert second.status_code == 404
    assert second.json()["errorResponse"]["errorMessage"] == "Customer not found: KCNOSUCHCUSTOMER"


async def test_keys_are_per_seller_and_kept_24_hours(
    client: httpx.AsyncClient,
    seller: SellerContext,
    other_seller: SellerContext,
    database: Database,
    clock: Clock,
) -> None:
    clock.fixed = datetime(2026, 11, 21, 6, 0, tzinfo=UTC)
    mine = await create_customer(database, seller.seller_id)
    theirs = await create_customer(database, other_seller.seller_id)
    key = {"Idempotency-Key": "shared-key"}
    response = await client.post(
        "/api/v0/invoice", json=invoice_body(mine), headers={**seller.headers, **key}
    )
    assert response.status_code == 200
    other = await client.post(
        "/api/v0/invoice", json=invoice_body(theirs), headers={**other_seller.headers, **key}
    )
    assert other.status_code == 200
    assert other.json()["payload"]["sellerId"] == other_seller.seller_id
    # A token that does not open the seller never sees the stored answer.
    forged = await client.post(
        "/api/v0/invoice",
        json=invoice_body(mine),
        headers={"accessToken": f"{seller.seller_id}.forged", **key},
    )
    assert forged.status_code == 401
    assert forged.json()["payload"] is None

    clock.fixed += timedelta(hours=23, minutes=59)
    still = await client.post(
        "/api/v0/invoice", json=invoice_body(mine), headers={**seller.headers, **key}
    )
    assert still.status_code == 422  # a different body (new number) under a live key
    clock.fixed += timedelta(minutes=2)
    fresh = await client.post(
        "/api/v0/invoice", json=invoice_body(mine), headers={**seller.headers, **key}
    )
    assert fresh.status_code == 200
    assert await _count(database, Invoice, seller.seller_id) == 2


async def test_concurrent_identical_requests_run_once(
    client: httpx.AsyncClient, seller: SellerContext, database: Database
) -> None:
    customer_id = await create_customer(database, seller.seller_id)
    body = invoice_body(customer_id)
    headers = {**seller.headers, "Idempotency-Key": "race-1"}
    answers = await asyncio.gather(
        *(client.post("/api/v0/invoice", json=body, headers=headers) for _ in range(8))
    )
    assert {a.status_code for a in answers} == {200}
    assert len({a.json()["payload"]["invoiceId"] for a in answers}) == 1
    assert await _count(database, Invoice, seller.seller_id) == 1


async def test_commerce_order_replays_and_answers_409_for_a_changed_body(
    client: httpx.AsyncClient, seller: SellerContext, database: Database
) -> None:
    customer_id = await create_customer(database, seller.seller_id)
    body = {
        "customerId": customer_id,
        "lineItems": [{"name": "Bolt", "quantity": 3, "unitPrice": 10.5, "taxRate": 18}],
    }
    headers = {**seller.headers, "Idempotency-Key": "order-1"}
    first = await client.post("/orders", json=body, headers=headers)
    assert first.status_code == 201, first.text
    second = await client.post("/orders", json=body, headers=headers)
    assert second.status_code == 201
    assert second.json() == first.json()
    assert await _count(database, SalesOrder, seller.seller_id) == 1
    body["lineItems"][0]["quantity"] = 4  # type: ignore[index]
    changed = await client.post("/orders", json=body, headers=headers)
    assert changed.status_code == 409
    assert changed.json() == {
        "success": False,
        "message": "Idempotency-Key was already used with a different request",
    }


async def test_a_too_long_key_is_a_validation_error_naming_the_header(
    client: httpx.AsyncClient, seller: SellerContext, database: Database
) -> None:
    customer_id = await create_customer(database, seller.seller_id)
    key = "k" * 256
    response = await client.post(
        "/api/v0/invoice",
        json=invoice_body(customer_id),
        headers={**seller.headers, "Idempotency-Key": key},
    )
    assert response.status_code == 400
    error = response.json()["errorResponse"]
    assert error["errorType"] == "VALIDATION_ERROR"
    assert error["errorMessage"] == "Idempotency-Key is too long"
    assert error["apiSubErrors"] == [
        {
            "field": "Idempotency-Key",
            "message": "must be at most 255 characters",
            "rejectedValue": key,
        }
    ]
    assert await _count(database, Invoice, seller.seller_id) == 0


def _header_styles(token: str) -> dict[str, dict[str, str]]:
    return {
        "accessToken": {"accessToken": token},
        "accessToken Bearer": {"accessToken": f"Bearer {token}"},
        "Authorization Bearer": {"Authorization": f"Bearer {token}"},
    }


async def test_every_token_header_style_replays_an_ar_create(
    client: httpx.AsyncClient, seller: SellerContext, database: Database
) -> None:
    customer_id = await create_customer(database, seller.seller_id)
    for number, (style, auth) in enumerate(_header_styles(seller.token).items()):
        body = invoice_body(customer_id, invoiceNumber=f"STYLE-{number}")
        headers = {**auth, "Idempotency-Key": f"style-{number}"}
        first = await client.post("/api/v0/invoice", json=body, headers=headers)
        assert first.status_code == 200, (style, first.text)
        second = await client.post("/api/v0/invoice", json=body, headers=headers)
        assert second.status_code == 200, (style, second.text)
        assert second.json() == first.json(), style
        assert second.headers.get("idempotent-replayed") == "true", style
        assert await _count(database, Invoice, seller.seller_id) == number + 1, style


async def test_every_token_header_style_replays_a_commerce_create(
    client: httpx.AsyncClient, seller: SellerContext, database: Database
) -> None:
    customer_id = await create_customer(database, seller.seller_id)
    body = {
        "customerId": customer_id,
        "lineItems": [{"name": "Nut", "quantity": 2, "unitPrice": 4.25, "taxRate": 12}],
    }
    for number, (style, auth) in enumerate(_header_styles(seller.token).items()):
        headers = {**auth, "Idempotency-Key": f"order-style-{number}"}
        first = await client.post("/orders", json=body, headers=headers)
        assert first.status_code == 201, (style, first.text)
        second = await client.post("/orders", json=body, headers=headers)
        assert second.status_code == 201, (style, second.text)
        assert second.json() == first.json(), style
        assert second.headers.get("idempotent-replayed") == "true", style
        assert await _count(database, SalesOrder, seller.seller_id) == number + 1, style
