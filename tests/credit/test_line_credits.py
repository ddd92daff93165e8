"""Credit notes on invoice lines (invoices made from orders): each line's value and tax taken
back per unit to the paisa, the order quantities freed for new commerce invoices, and the
commerce mirror POST /invoices/{id}/credit-notes."""

from typing import Any

import httpx

from tests.credit.support import credit, credited
from tests.invoice.ar_factories import get_invoice
from tests.invoice.commerce_factories import get_order
from tests.order.factories import post_order
from tests.support import Database, SellerContext, create_customer

# 3 x 33.33 at 18%: amount 99.99, tax 18.00 (17.9982 rounded); 1 x 10.01 at 5%: tax 0.50.
LINES: list[dict[str, Any]] = [
    {"sku": "A", "name": "Widget", "quantity": 3, "unitPrice": 33.33, "taxRate": 18},
    {"sku": "B", "name": "Bolt", "quantity": 1, "unitPrice": 10.01, "taxRate": 5},
]


async def _invoiced_order(
    client: httpx.AsyncClient, seller: SellerContext, customer_id: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    order = await post_order(client, seller, customer_id, LINES)
    made = await client.post("/invoices", json={"orderId": order["id"]}, headers=seller.headers)
    assert made.status_code == 201, made.text
    return order, made.json()["data"]


async def test_line_credits_take_back_each_unit_exactly_and_free_the_order_quantities(
    client: httpx.AsyncClient, seller: SellerContext, database: Database
) -> None:
    customer_id = await create_customer(database, seller.seller_id)
    order, invoice = await _invoiced_order(client, seller, customer_id)
    widget, bolt = order["lineItems"]
    invoice_id = invoice["id"]

    one = await credited(
        client, seller, invoice_id, lineItems=[{"lineItemId": widget["id"], "quantity": 1}]
    )
    # One of three units: a third of the line's 99.99 and of its 18.00 tax, halved.
    assert (one["taxableAmount"], one["cgst"], one["sgst"], one["amount"]) == (
        33.33,
        3.0,
        3.0,
        39.33,
    )
    assert one["lineItems"][0]["lineItemId"] == widget["id"]
    shown = await get_order(client, seller, order["id"])
    assert [line["invoicedQuantity"] for line in shown["lineItems"]] == [2, 1]

    # The freed unit can be invoiced again.
    again = await client.post(
        "/invoices",
        json={"orderId": order["id"], "lineItems": [{"lineItemId": widget["id"], "quantity": 1}]},
        headers=seller.headers,
    )
    assert again.status_code == 201, again.text

    # The rest of both lines, by the invoice line ids: what is left, to the paisa.
    invoice_lines = {line["lineItemId"]: line["id"] for line in invoice["lineItems"]}
    rest = await credited(
        client,
        seller,
        invoice_id,
        lineItems=[
            {"lineItemId": invoice_lines[widget["id"]], "quantity": 2},
            {"lineItemId": invoice_lines[bolt["id"]], "quantity": 1},
        ],
    )
    assert round(one["taxableAmount"] + rest["taxableAmount"], 2) == 110.0
    assert round(one["cgst"] + rest["cgst"], 2) == invoice["cgst"]
    assert round(one["sgst"] + rest["sgst"], 2) == invoice["sgst"]
    after = await get_invoice(client, seller, invoice_id)
    assert after["balanceAmount"] == 0
    assert after["receivableStatus"]["name"] == "PAID"


async def test_line_credit_refusals(
    client: httpx.AsyncClient, seller: SellerContext, database: Database
) -> None:
    customer_id = await create_customer(database, seller.seller_id)
    order, invoice = await _invoiced_order(client, seller, customer_id)
    widget = order["lineItems"][0]
    invoice_id = invoice["id"]

    unknown = await credit(
        client, seller, invoice_id, lineItems=[{"lineItemId": "nope", "quantity": 1}]
    )
    assert unknown.status_code == 400
    assert unknown.json()["errorResponse"]["apiSubErrors"][0]["field"] == "lineItems[0].lineItemId"

    zero = await credit(
        client, seller, invoice_id, lineItems=[{"lineItemId": widget["id"], "quantity": 0}]
    )
    assert zero.status_code == 400

    await credited(
        client, seller, invoice_id, lineItems=[{"lineItemId": widget["id"], "quantity": 2}]
    )
    over = await credit(
        client, seller, invoice_id, lineItems=[{"lineItemId": widget["id"], "quantity": 2}]
    )
    assert over.status_code == 422
    assert "1 left" in over.json()["errorResponse"]["errorMessage"]
    shown = await get_order(client, seller, order["id"])
    assert shown["lineItems"][0]["invoicedQuantity"] == 1


async def test_commerce_mirror_answers_in_the_commerce_envelope(
    client: httpx.AsyncClient,
    seller: SellerContext,
    other_seller: SellerContext,
    database: Database,
) -> None:
    customer_id = await create_customer(database, seller.seller_id)
    order, invoice = await _invoiced_order(client, seller, customer_id)
    path = f"/invoices/{invoice['id']}/credit-notes"
    made = await client.post(
        path,
        json={
            "reason": "Damaged in transit",
            "lineItems": [{"lineItemId": order["lineItems"][1]["id"], "quantity": 1}],
        },
        headers=seller.headers,
    )
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["success"] is True
    data = body["data"]
    assert (data["subtotal"], data["tax"], data["total"]) == (10.01, 0.5, 10.51)
    assert data["invoice"] == invoice["id"]
    assert data["creditNoteNumber"] == "CN-1"
    assert data["invoiceBalance"] == round(invoice["total"] - 10.51, 2)
    fetched = await client.get(f"/invoices/{invoice['id']}", headers=seller.headers)
    assert fetched.json()["data"]["totalCredited"] == 10.51

    over = await client.post(path, json={"reason": "x", "amount": 10_000}, headers=seller.headers)
    assert over.status_code == 409
    assert over.json() == {"success": False, "message": over.json()["message"]}
    bad = await client.post(path, json={"reason": "x", "amount": -1}, headers=seller.headers)
    assert bad.status_code == 400
    walled = await client.post(
        path, json={"reason": "x", "amount": 1}, headers=other_seller.headers
    )
    assert walled.status_code == 404
