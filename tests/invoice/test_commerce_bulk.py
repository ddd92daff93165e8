"""POST /invoices/bulk exactly as seed 000: success, every error, all-or-nothing, money."""

from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import update

from khata.models import Customer
from khata.order import repository as order_repository
from tests.invoice.commerce_factories import (
    ORDER_IDS_MESSAGE,
    bulk,
    get_order,
    invoice_line_count,
    invoice_rows,
)
from tests.order.factories import post_order
from tests.support import Clock, Database, SellerContext, create_customer


async def test_bulk_invoices_orders_with_gst_split_by_place_of_supply(
    client: httpx.AsyncClient, database: Database, seller: SellerContext, clock: Clock
) -> None:
    # 20:00 UTC on 31 March is already 1 April in Kolkata: the invoice date is the seller's.
    clock.fixed = datetime(2026, 3, 31, 20, 0, 0, 123456, tzinfo=UTC)
    local = await create_customer(database, seller.seller_id, state="29")
    remote = await create_customer(database, seller.seller_id, state="27", legal_name="Far Ltd")
    intra = await post_order(client, seller, local)
    inter = await post_order(client, seller, remote)

    response = await bulk(client, seller, [inter["id"], intra["id"]])

    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["success"], body["message"], body["count"]) == (
        True,
        "Invoices created successfully",
        2,
    )
    first, second = body["data"]
    # Request order, consecutive entityIds as strings, numbers from the seller's prefix.
    assert (first["order"], first["entityId"], first["invoiceNumber"]) == (
        inter["id"],
        "1",
        "INV-1",
    )
    assert (second["order"], second["entityId"], second["invoiceNumber"]) == (
        intra["id"],
        "2",
        "INV-2",
    )
    for invoice, order in ((first, inter), (second, intra)):
        assert [(li["lineItemId"], li["quantity"]) for li in invoice["lineItems"]] == [
            (li["id"], li["quantity"]) for li in order["lineItems"]
        ]
        assert all(len(li["id"]) == 24 for li in invoice["lineItems"])
        assert invoice["createdBy"] == {
            "id": seller.principal_id,
            "name": "test integration",
            "type": "api",
        }
        assert invoice["metaFields"] == []
        assert invoice["mailsSent"] == []
        assert invoice["status"] == "CREATED"
        assert invoice["customer"] == order["customerId"]
        assert invoice["createdAt"] == invoice["updatedAt"] == "2026-03-31T20:00:00.123Z"
        assert (invoice["invoiceDate"], invoice["dueDate"]) == ("2026-04-01", "2026-05-01")
        # 540.27 + 119.98 + 4.68 = 664.93 of tax on 4094.89.
        assert (invoice["subtotal"], invoice["tax"], invoice["total"]) == (
            4094.89,
            664.93,
            4759.82,
        )
    assert (first["cgst"], first["sgst"], first["igst"]) == (0.0, 0.0, 664.93)
    # The odd paisa of 664.93 goes to CGST.
    assert (second["cgst"], second["sgst"], second["igst"]) == (332.47, 332.46, 0.0)

    # Stored for the AR dialect too.
    rows = await invoice_rows(database, seller.seller_id)
    assert [(r.entity_id, r.via, r.base_amount, r.net_amount, r.balance_amount) for r in rows] == [
        (1, "ORDER", 409489, 475982, 475982),
        (2, "ORDER", 409489, 475982, 475982),
    ]
    assert (rows[1].cgst, rows[1].sgst, rows[1].igst, rows[1].tds) == (33247, 33246, 0, 0)

    for order in (intra, inter):
        after = await get_order(client, seller, order["id"])
        assert after["status"] == "INVOICED"
        assert [li["invoicedQuantity"] for li in after["lineItems"]] == [30, 20, 7]

    got = await client.get(f"/invoices/{first['id']}", headers=seller.headers)
    assert got.status_code == 200
    assert got.json()["data"] == first


async def test_bulk_accepts_a_bearer_token_and_answers_seed_field_types(
    client: httpx.AsyncClient, database: Database, seller: SellerContext
) -> None:
    customer = await create_customer(database, seller.seller_id)
    order = await post_order(client, seller, customer)
    response = await client.post(
        "/invoices/bulk",
        headers={"Authorization": f"Bearer {seller.token}"},
        json={"orderIds": [order["id"]]},
    )
    assert response.status_code == 201
    invoice = response.json()["data"][0]
    assert isinstance(invoice["entityId"], str)
    assert isinstance(invoice["total"], float)
    for field in ("order", "entityId", "lineItems", "total", "createdBy", "metaFields"):
        assert field in invoice
    assert set(invoice["lineItems"][0]) >= {"lineItemId", "quantity", "id"}


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"{not json",
        b"[]",
        b"{}",
        b'{"orderIds": null}',
        b'{"orderIds": "abc"}',
        b'{"orderIds": []}',
        b'{"orderIds": [1, 2]}',
        b'{"orderIds": ["a", "a"]}',
        # Nested past Python's recursion limit: the JSON parser's RecursionError was a 500.
        b'{"orderIds": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        b"[" * 100_000,
    ],
)
async def test_bulk_refuses_bad_bodies_with_the_seed_message(
    client: httpx.AsyncClient, seller: SellerContext, content: bytes
) -> None:
    response = await client.post(
        "/invoices/bulk",
        headers={**seller.headers, "Content-Type": "application/json"},
        content=content,
    )
    assert response.status_code == 400
    assert response.json() == {"success": False, "message": ORDER_IDS_MESSAGE}


async def test_bulk_refuses_more_than_1000_orders(
    client: httpx.AsyncClient, seller: SellerContext
) -> None:
    response = await bulk(client, seller, [f"{i:024x}" for i in range(1001)])
    assert response.status_code == 400
    assert response.json() == {"success": False, "message": ORDER_IDS_MESSAGE}


async def test_bulk_without_a_valid_token_is_401(
    client: httpx.AsyncClient, seller: SellerContext
) -> None:
    for headers in ({}, {"accessToken": "nope"}, {"accessToken": seller.token + "x"}):
        response = await client.post("/invoices/bulk", headers=headers, json={"orderIds": ["a"]})
        assert response.status_code == 401
        assert response.json() == {"success": False, "message": "Invalid or missing access token"}


async def test_bulk_unknown_order_is_404_for_the_first_and_writes_nothing(
    client: httpx.AsyncClient,
    database: Database,
    seller: SellerContext,
    other_seller: SellerContext,
) -> None:
    customer = await create_customer(database, seller.seller_id)
    mine = await post_order(client, seller, customer)
    foreign_customer = await create_customer(database, other_seller.seller_id)
    foreign = await post_order(client, other_seller, foreign_customer)
    missing = "69ab24db449866373d5e3e35"

    for order_ids, first_unknown in (
        ([mine["id"], missing, foreign["id"]], missing),
        ([mine["id"], foreign["id"], missing], foreign["id"]),
    ):
        response = await bulk(client, seller, order_ids)
        assert response.status_code == 404
        assert response.json() == {
            "success": False,
            "message": f"Order not found: {first_unknown}",
        }
    assert await invoice_rows(database, seller.seller_id) == []
    assert (await get_order(client, seller, mine["id"]))["status"] == "NOT_INVOICED"
    # No entityId was spent by the failures.
    assert (await bulk(client, seller, [mine["id"]])).json()["data"][0]["entityId"] == "1"


async def test_bulk_an_order_with_nothing_left_is_409_and_writes_nothing(
    client: httpx.AsyncClient, database: Database, seller: SellerContext
) -> None:
    customer = await create_customer(database, seller.seller_id)
    done = await post_order(client, seller, customer)
    fresh = await post_order(client, seller, customer)
    assert (await bulk(client, seller, [done["id"]])).status_code == 201

    response = await bulk(client, seller, [fresh["id"], done["id"]])

    assert response.status_code == 409
    assert response.json() == {
        "success": False,
        "message": f"Order already fully invoiced: {done['id']}",
    }
    assert [r.entity_id for r in await invoice_rows(database, seller.seller_id)] == [1]
    assert (await get_order(client, seller, fresh["id"]))["status"] == "NOT_INVOICED"


async def test_bulk_an_order_of_an_inactive_or_deleted_customer_is_409(
    client: httpx.AsyncClient, database: Database, seller: SellerContext
) -> None:
    customer = await create_customer(database, seller.seller_id)
    order = await post_order(client, seller, customer)
    for values, state in (({"status": "INACTIVE"}, "inactive"), ({"deleted": True}, "deleted")):
        async with database.session_factory() as session, session.begin():
            await session.execute(
                update(Customer)
                .where(Customer.seller_id == seller.seller_id, Customer.id == customer)
                .values({"status": "ACTIVE", "deleted": False, **values})
            )
        response = await bulk(client, seller, [order["id"]])
        assert response.status_code == 409
        assert response.json() == {
            "success": False,
            "message": f"Customer of order {order['id']} is {state}: no invoice can be made",
        }
    assert await invoice_rows(database, seller.seller_id) == []


async def test_bulk_invoices_only_what_is_left_after_a_partial_invoice(
    client: httpx.AsyncClient, database: Database, seller: SellerContext
) -> None:
    customer = await create_customer(database, seller.seller_id, state="27")
    order = await post_order(client, seller, customer)
    first_line = order["lineItems"][0]["id"]
    partial = await client.post(
        "/invoices",
        headers=seller.headers,
        json={"orderId": order["id"], "lineItems": [{"lineItemId": first_line, "quantity": 10}]},
    )
    assert partial.status_code == 201
    assert (await get_order(client, seller, order["id"]))["status"] == "PARTIALLY_INVOICED"

    response = await bulk(client, seller, [order["id"]])

    assert response.status_code == 201
    rest = response.json()["data"][0]
    assert rest["entityId"] == "2"
    assert [li["quantity"] for li in rest["lineItems"]] == [20, 20, 7]
    # 20 x 100.05 = 2001.00 @18% = 360.18; + 999.80 (119.98) + 93.59 (4.68), all IGST.
    assert (rest["subtotal"], rest["igst"], rest["total"]) == (3094.39, 484.84, 3579.23)
    assert (await get_order(client, seller, order["id"]))["status"] == "INVOICED"


async def test_bulk_crash_after_writing_is_500_and_rolls_everything_back(
    client: httpx.AsyncClient,
    database: Database,
    seller: SellerContext,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    customer = await create_customer(database, seller.seller_id)
    order = await post_order(client, seller, customer)

    async def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    # Fails after the invoices and lines were inserted: the transaction must undo them.
    monkeypatch.setattr(order_repository, "mark_orders_fully_invoiced", broken)
    response = await bulk(client, seller, [order["id"]])
    monkeypatch.undo()

    assert response.status_code == 500
    assert response.json() == {
        "success": False,
        "message": "An error occurred while creating invoices",
    }
    assert await invoice_rows(database, seller.seller_id) == []
    assert await invoice_line_count(database, seller.seller_id) == 0
    assert (await bulk(client, seller, [order["id"]])).json()["data"][0]["entityId"] == "1"


async def test_three_lines_one_order_checked_to_the_paisa(
    client: httpx.AsyncClient, database: Database, seller: SellerContext
) -> None:
    """Taxes that round at the half paisa on every line, intra-state."""
    customer = await create_customer(database, seller.seller_id)
    order = await post_order(
        client,
        seller,
        customer,
        [
            # 1 x 0.25 @18% = 0.045 -> 0.05; 3 x 0.15 @12% = 0.054 -> 0.05; 1 x 0.10 @5% = 0.005
            # -> 0.01 (half-up). Tax 0.11, odd: CGST 0.06, SGST 0.05.
            {"name": "a", "quantity": 1, "unitPrice": 0.25, "taxRate": 18},
            {"name": "b", "quantity": 3, "unitPrice": 0.15, "taxRate": 12},
            {"name": "c", "quantity": 1, "unitPrice": 0.10, "taxRate": 5},
        ],
    )
    invoice = (await bulk(client, seller, [order["id"]])).json()["data"][0]
    assert [li["tax"] for li in invoice["lineItems"]] == [0.05, 0.05, 0.01]
    assert (invoice["subtotal"], invoice["tax"], invoice["cgst"], invoice["sgst"]) == (
        0.8,
        0.11,
        0.06,
        0.05,
    )
    assert invoice["total"] == 0.91
