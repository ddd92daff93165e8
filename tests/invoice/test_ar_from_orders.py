"""One invoice table for both dialects: an invoice made through the commerce /invoices/bulk is
found by the AR search, paid through the AR payment flow, and shown paid by /invoices/{id}."""

import httpx
from sqlalchemy import select

from khata.models import AuditEntry
from tests.invoice.ar_factories import confirm, get_invoice, report_payment
from tests.support import Database, SellerContext, create_customer


async def test_order_invoice_is_searched_and_paid_in_the_ar_dialect(
    client: httpx.AsyncClient, seller: SellerContext, database: Database
) -> None:
    customer_id = await create_customer(database, seller.seller_id, legal_name="Order Buyer")
    order = await client.post(
        "/orders",
        json={
            "customerId": customer_id,
            "lineItems": [
                {"sku": "B-1", "name": "Bolt", "quantity": 3, "unitPrice": 10.5, "taxRate": 18},
                {"name": "Nut box", "quantity": 2, "unitPrice": 99.99, "taxRate": 5},
            ],
        },
        headers=seller.headers,
    )
    assert order.status_code == 201, order.text
    made = await client.post(
        "/invoices/bulk", json={"orderIds": [order.json()["data"]["id"]]}, headers=seller.headers
    )
    assert made.status_code == 201, made.text
    invoice_id = made.json()["data"][0]["id"]

    found = await client.post(
        "/api/v0/invoice/search", json={"createdVia": ["ORDER"]}, headers=seller.headers
    )
    assert found.status_code == 200, found.text
    payload = found.json()["payload"]
    assert payload["totalCount"] == 1
    (invoice,) = payload["invoices"]
    assert invoice["invoiceId"] == invoice_id
    assert invoice["via"] == "ORDER"
    assert invoice["customerLegalName"] == "Order Buyer"
    # 31.50 at 18% = 5.67 and 199.98 at 5% = 10.00 (per line, half-up); intra-state halves.
    assert (invoice["baseAmount"], invoice["cgst"], invoice["sgst"]) == (231.48, 7.84, 7.83)
    assert invoice["netAmount"] == 247.15
    assert [(line["name"], line["quantity"], line["tax"]) for line in invoice["lineItems"]] == [
        ("Bolt", 3, 5.67),
        ("Nut box", 2, 10.0),
    ]
    single = await get_invoice(client, seller, invoice_id)
    assert single["lineItems"] == invoice["lineItems"]

    reported = await report_payment(client, seller, [(invoice_id, 247.15)], payment_id="ORD-PAY")
    assert reported.status_code == 200, reported.text
    assert (await confirm(client, seller, "ORD-PAY")).status_code == 200

    commerce = await client.get(f"/invoices/{invoice_id}", headers=seller.headers)
    assert commerce.status_code == 200, commerce.text
    data = commerce.json()["data"]
    assert data["status"] == "PAID"
    assert data["balanceAmount"] == 0
    paid = await client.post(
        "/api/v0/invoice/search", json={"receivableStatuses": ["PAID"]}, headers=seller.headers
    )
    assert [i["invoiceId"] for i in paid.json()["payload"]["invoices"]] == [invoice_id]


async def test_history_of_an_order_invoice_uses_the_same_action_names(
    client: httpx.AsyncClient, seller: SellerContext, database: Database
) -> None:
    customer_id = await create_customer(database, seller.seller_id)
    order = await client.post(
        "/orders",
        json={
            "customerId": customer_id,
            "lineItems": [{"name": "Bolt", "quantity": 2, "unitPrice": 10, "taxRate": 18}],
        },
        headers=seller.headers,
    )
    invoice = await client.post(
        "/invoices/bulk", json={"orderIds": [order.json()["data"]["id"]]}, headers=seller.headers
    )
    invoice_id = invoice.json()["data"][0]["id"]
    history = await client.get(f"/api/v0/invoice/{invoice_id}/history", headers=seller.headers)
    assert [e["action"] for e in history.json()["payload"]] == ["CREATED"]
    await client.delete(f"/invoices/{invoice_id}", headers=seller.headers)
    async with database.session_factory() as session:
        actions = (
            await session.execute(
                select(AuditEntry.action)
                .where(AuditEntry.seller_id == seller.seller_id, AuditEntry.entity_id == invoice_id)
                .order_by(AuditEntry.at, AuditEntry.id)
            )
        ).scalars()
        assert list(actions) == ["CREATED", "DELETED"]


async def test_ar_bulk_delete_gives_quantities_back_to_the_order(
    client: httpx.AsyncClient, seller: SellerContext, database: Database
) -> None:
    customer_id = await create_customer(database, seller.seller_id)
    order = await client.post(
        "/orders",
        json={
            "customerId": customer_id,
            "lineItems": [{"name": "Nut", "quantity": 5, "unitPrice": 3, "taxRate": 5}],
        },
        headers=seller.headers,
    )
    order_id = order.json()["data"]["id"]
    first = await client.post(
        "/invoices/bulk", json={"orderIds": [order_id]}, headers=seller.headers
    )
    invoice_id = first.json()["data"][0]["id"]
    deleted = await client.post(
        "/api/v0/invoice/bulk/delete", json={"invoiceIds": [invoice_id]}, headers=seller.headers
    )
    assert deleted.status_code == 200
    after = (await client.get(f"/orders/{order_id}", headers=seller.headers)).json()["data"]
    assert after["status"] == "NOT_INVOICED"
    assert after["lineItems"][0]["invoicedQuantity"] == 0
    again = await client.post(
        "/invoices/bulk", json={"orderIds": [order_id]}, headers=seller.headers
    )
    assert again.status_code == 201
    assert again.json()["data"][0]["lineItems"][0]["quantity"] == 5
