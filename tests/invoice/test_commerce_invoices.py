"""POST /invoices (partial), GET /invoices(/id), DELETE /invoices/{id}, and mailsSent."""

from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import update

from khata.kit.ids import new_object_id
from khata.models import Delivery, DeliveryInvoice, Invoice
from tests.invoice.commerce_factories import bulk, get_order, invoice_rows
from tests.order.factories import post_order
from tests.support import Database, SellerContext, create_customer


async def post_invoice(
    client: httpx.AsyncClient, seller: SellerContext, body: object
) -> httpx.Response:
    return await client.post("/invoices", headers=seller.headers, json=body)


async def test_partial_invoices_until_the_order_is_used_up(
    client: httpx.AsyncClient, database: Database, seller: SellerContext
) -> None:
    customer = await create_customer(database, seller.seller_id)
    order = await post_order(client, seller, customer)
    widget, gadget, gizmo = (li["id"] for li in order["lineItems"])

    first = await post_invoice(
        client,
        seller,
        {
            "orderId": order["id"],
            "lineItems": [
                {"lineItemId": gadget, "quantity": 5},
                {"lineItemId": widget, "quantity": 10},
            ],
            "metaFields": [{"key": "po", "value": "PO-7"}],
        },
    )
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["message"] == "Invoice created successfully"
    invoice = body["data"]
    # In the order's own line order. 10 x 100.05 = 1000.50 @18% = 180.09;
    # 5 x 49.99 = 249.95 @12% = 29.994 -> 29.99. Tax 210.08, intra-state halves.
    assert [(li["lineItemId"], li["quantity"]) for li in invoice["lineItems"]] == [
        (widget, 10),
        (gadget, 5),
    ]
    assert (invoice["subtotal"], invoice["tax"], invoice["total"]) == (1250.45, 210.08, 1460.53)
    assert (invoice["cgst"], invoice["sgst"], invoice["igst"]) == (105.04, 105.04, 0.0)
    assert invoice["metaFields"] == [{"key": "po", "value": "PO-7"}]
    assert invoice["entityId"] == "1"

    after = await get_order(client, seller, order["id"])
    assert after["status"] == "PARTIALLY_INVOICED"
    assert [li["invoicedQuantity"] for li in after["lineItems"]] == [10, 5, 0]

    too_much = await post_invoice(
        client,
        seller,
        {"orderId": order["id"], "lineItems": [{"lineItemId": widget, "quantity": 21}]},
    )
    assert too_much.status_code == 409
    assert too_much.json() == {
        "success": False,
        "message": f"Quantity exceeds what is left to invoice on line {widget}: 20 left",
    }
    # The same line twice adds up.
    twice = await post_invoice(
        client,
        seller,
        {
            "orderId": order["id"],
            "lineItems": [
                {"lineItemId": gizmo, "quantity": 4},
                {"lineItemId": gizmo, "quantity": 4},
            ],
        },
    )
    assert twice.status_code == 409
    assert twice.json()["message"] == (
        f"Quantity exceeds what is left to invoice on line {gizmo}: 7 left"
    )

    rest = await post_invoice(client, seller, {"orderId": order["id"]})
    assert rest.status_code == 201
    assert [li["quantity"] for li in rest.json()["data"]["lineItems"]] == [20, 15, 7]
    assert rest.json()["data"]["entityId"] == "2"
    assert (await get_order(client, seller, order["id"]))["status"] == "INVOICED"

    nothing_left = await post_invoice(client, seller, {"orderId": order["id"]})
    assert nothing_left.status_code == 409
    assert nothing_left.json()["message"] == f"Order already fully invoiced: {order['id']}"
    assert len(await invoice_rows(database, seller.seller_id)) == 2


async def test_single_invoice_refusals(
    client: httpx.AsyncClient,
    database: Database,
    seller: SellerContext,
    other_seller: SellerContext,
) -> None:
    customer = await create_customer(database, seller.seller_id)
    order = await post_order(client, seller, customer)
    other_customer = await create_customer(database, other_seller.seller_id)
    foreign = await post_order(client, other_seller, other_customer)
    foreign_line = foreign["lineItems"][0]["id"]
    cases: list[tuple[object, int, str]] = [
        ({}, 400, "Validation error: orderId is required"),
        ({"orderId": foreign["id"]}, 404, f"Order not found: {foreign['id']}"),
        (
            {"orderId": order["id"], "lineItems": [{"lineItemId": foreign_line, "quantity": 1}]},
            404,
            f"Order line not found: {foreign_line}",
        ),
        (
            {
                "orderId": order["id"],
                "lineItems": [{"lineItemId": order["lineItems"][0]["id"], "quantity": 0}],
            },
            400,
            "Validation error: lineItems.0.quantity Input should be greater than 0",
        ),
    ]
    for body, status, message in cases:
        response = await post_invoice(client, seller, body)
        assert (response.status_code, response.json()) == (
            status,
            {"success": False, "message": message},
        ), body
    malformed = await client.post(
        "/invoices",
        headers={**seller.headers, "Content-Type": "application/json"},
        content=b"{oops",
    )
    assert malformed.status_code == 400
    assert malformed.json() == {"success": False, "message": "Malformed JSON request body"}
    # NaN and 1e400 (Infinity) parse in Python but have no JSON form: PostgreSQL's jsonb
    # refused them with a 500.
    for meta in (b"[NaN]", b'[{"x": 1e400}]'):
        refused = await client.post(
            "/invoices",
            headers={**seller.headers, "Content-Type": "application/json"},
            content=b'{"orderId": "%s", "metaFields": %s}' % (order["id"].encode(), meta),
        )
        assert (refused.status_code, refused.json()) == (
            400,
            {
                "success": False,
                "message": "Validation error: metaFields must not contain NaN or Infinity",
            },
        ), meta
    assert await invoice_rows(database, seller.seller_id) == []


async def test_get_and_list_invoices_with_filters(
    client: httpx.AsyncClient,
    database: Database,
    seller: SellerContext,
    other_seller: SellerContext,
) -> None:
    first_customer = await create_customer(database, seller.seller_id)
    second_customer = await create_customer(database, seller.seller_id, legal_name="B Ltd")
    a = await post_order(client, seller, first_customer)
    b = await post_order(client, seller, second_customer)
    c = await post_order(client, seller, first_customer)
    created = (await bulk(client, seller, [a["id"], b["id"], c["id"]])).json()["data"]

    listed = await client.get("/invoices?limit=2", headers=seller.headers)
    assert listed.status_code == 200
    assert listed.json()["count"] == 3
    # Newest first: same instant, so the higher entityId first.
    assert [i["entityId"] for i in listed.json()["data"]] == ["3", "2"]
    page_two = await client.get("/invoices?limit=2&page=2", headers=seller.headers)
    assert [i["entityId"] for i in page_two.json()["data"]] == ["1"]
    assert page_two.json()["data"][0] == created[0]

    by_order = await client.get(f"/invoices?orderId={b['id']}", headers=seller.headers)
    assert [i["order"] for i in by_order.json()["data"]] == [b["id"]]
    by_customer = await client.get(f"/invoices?customerId={first_customer}", headers=seller.headers)
    assert by_customer.json()["count"] == 2
    assert {i["order"] for i in by_customer.json()["data"]} == {a["id"], c["id"]}

    foreign = await client.get(f"/invoices/{created[0]['id']}", headers=other_seller.headers)
    assert foreign.status_code == 404
    assert foreign.json() == {
        "success": False,
        "message": f"Invoice not found: {created[0]['id']}",
    }
    assert (await client.get("/invoices", headers=other_seller.headers)).json()["count"] == 0
    bad_limit = await client.get("/invoices?limit=0", headers=seller.headers)
    assert bad_limit.status_code == 400
    # A 20-digit page once overflowed the database's 64-bit OFFSET (a 500).
    for query, message in {
        "page=99999999999999999999": "Validation error: page Input should be less than or"
        " equal to 10000000",
        "page=abc": "Validation error: page Input should be a valid integer, unable to parse"
        " string as an integer",
        "limit=10000": "Validation error: limit Input should be less than or equal to 100",
    }.items():
        refused = await client.get(f"/invoices?{query}", headers=seller.headers)
        assert (refused.status_code, refused.json()) == (
            400,
            {"success": False, "message": message},
        ), query
    far = await client.get("/invoices?page=10000000&limit=100", headers=seller.headers)
    assert (far.status_code, far.json()["data"], far.json()["count"]) == (200, [], 3)


async def test_mails_sent_lists_the_sent_emails_only(
    client: httpx.AsyncClient, database: Database, seller: SellerContext
) -> None:
    customer = await create_customer(database, seller.seller_id)
    order = await post_order(client, seller, customer)
    invoice = (await bulk(client, seller, [order["id"]])).json()["data"][0]
    sent_at = datetime(2026, 5, 2, 9, 30, 15, 250000, tzinfo=UTC)
    async with database.session_factory() as session, session.begin():
        for channel, status, recipient, at in (
            ("EMAIL", "SENT", "asha@buyer.example", sent_at),
            ("EMAIL", "SENT", "ravi@buyer.example", sent_at + timedelta(hours=1)),
            ("EMAIL", "PENDING", "later@buyer.example", None),
            ("SMS", "SENT", "9876543210", sent_at),
        ):
            delivery_id = new_object_id()
            session.add(
                Delivery(
                    seller_id=seller.seller_id,
                    id=delivery_id,
                    kind="DISPATCH",
                    channel=channel,
                    recipient=recipient,
                    invoice_id=invoice["id"],
                    invoice_ids=[invoice["id"]],
                    status=status,
                    attempts=1,
                    next_attempt_at=sent_at,
                    sent_at=at,
                    dedupe_key=f"test:{delivery_id}",
                    created_at=sent_at,
                )
            )
            await session.flush()
            session.add(
                DeliveryInvoice(
                    seller_id=seller.seller_id, delivery_id=delivery_id, invoice_id=invoice["id"]
                )
            )
    got = await client.get(f"/invoices/{invoice['id']}", headers=seller.headers)
    assert got.json()["data"]["mailsSent"] == [
        {"sentTo": "asha@buyer.example", "sentAt": "2026-05-02T09:30:15.250Z"},
        {"sentTo": "ravi@buyer.example", "sentAt": "2026-05-02T10:30:15.250Z"},
    ]
    listed = await client.get(f"/invoices?orderId={order['id']}", headers=seller.headers)
    assert listed.json()["data"][0]["mailsSent"] == got.json()["data"]["mailsSent"]


async def test_delete_frees_the_quantities_and_hides_the_invoice(
    client: httpx.AsyncClient,
    database: Database,
    seller: SellerContext,
    other_seller: SellerContext,
) -> None:
    customer = await create_customer(database, seller.seller_id)
    order = await post_order(client, seller, customer)
    widget = order["lineItems"][0]["id"]
    partial = (
        await post_invoice(
            client,
            seller,
            {"orderId": order["id"], "lineItems": [{"lineItemId": widget, "quantity": 12}]},
        )
    ).json()["data"]
    rest = (await bulk(client, seller, [order["id"]])).json()["data"][0]
    assert (await get_order(client, seller, order["id"]))["status"] == "INVOICED"

    foreign = await client.delete(f"/invoices/{rest['id']}", headers=other_seller.headers)
    assert foreign.status_code == 404

    response = await client.delete(f"/invoices/{rest['id']}", headers=seller.headers)
    assert response.status_code == 200
    assert response.json() == {
        "success": True,
        "data": {"id": rest["id"], "entityId": "2"},
        "message": "Invoice deleted successfully",
    }
    after = await get_order(client, seller, order["id"])
    assert after["status"] == "PARTIALLY_INVOICED"
    assert [li["invoicedQuantity"] for li in after["lineItems"]] == [12, 0, 0]
    gone = await client.get(f"/invoices/{rest['id']}", headers=seller.headers)
    assert gone.status_code == 404
    assert gone.json()["message"] == f"Invoice not found: {rest['id']}"
    again = await client.delete(f"/invoices/{rest['id']}", headers=seller.headers)
    assert again.status_code == 404
    assert (await client.get("/invoices", headers=seller.headers)).json()["count"] == 1
    rows = await invoice_rows(database, seller.seller_id)
    assert [(r.entity_id, r.deleted) for r in rows] == [(1, False), (2, True)]

    # The freed quantities are invoiced again, under a new number (2 is never reused).
    reissued = (await bulk(client, seller, [order["id"]])).json()["data"][0]
    assert reissued["entityId"] == "3"
    assert [li["quantity"] for li in reissued["lineItems"]] == [18, 20, 7]
    assert partial["entityId"] == "1"


async def test_delete_refuses_invoices_with_money_or_a_final_status(
    client: httpx.AsyncClient, database: Database, seller: SellerContext
) -> None:
    customer = await create_customer(database, seller.seller_id)
    orders = [await post_order(client, seller, customer) for _ in range(3)]
    invoices = (await bulk(client, seller, [o["id"] for o in orders])).json()["data"]
    changes = [
        ({"total_received": 100, "receivable_status": "PARTIALLY_PAID"}, "a payment was received"),
        ({"receivable_status": "PAID"}, "it is paid"),
        ({"receivable_status": "CANCELLED"}, "it is cancelled"),
    ]
    for invoice, (values, reason) in zip(invoices, changes, strict=True):
        async with database.session_factory() as session, session.begin():
            await session.execute(
                update(Invoice)
                .where(Invoice.seller_id == seller.seller_id, Invoice.id == invoice["id"])
                .values(values)
            )
        response = await client.delete(f"/invoices/{invoice['id']}", headers=seller.headers)
        assert response.status_code == 409
        assert response.json() == {
            "success": False,
            "message": f"Invoice cannot be deleted ({reason}): {invoice['id']}",
        }
    for order in orders:
        assert (await get_order(client, seller, order["id"]))["status"] == "INVOICED"
