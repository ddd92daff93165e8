"""The bulk path at volume: constant statements per request, and no double invoice under a race."""

import asyncio

import httpx

from tests.invoice.commerce_factories import bulk, invoice_rows
from tests.order.factories import insert_orders
from tests.support import Database, SellerContext, count_statements, create_customer


async def test_bulk_statement_count_is_the_same_for_10_and_1000_orders(
    client: httpx.AsyncClient, database: Database, seller: SellerContext
) -> None:
    customer = await create_customer(database, seller.seller_id)
    few = await insert_orders(database, seller.seller_id, customer, 10)
    many = await insert_orders(database, seller.seller_id, customer, 1000)

    with count_statements(database.engine) as for_few:
        response = await bulk(client, seller, few)
    assert response.status_code == 201
    with count_statements(database.engine) as for_many:
        response = await bulk(client, seller, many)
    assert response.status_code == 201, response.text

    assert response.json()["count"] == 1000
    assert for_many.count == for_few.count, (for_few.statements, for_many.statements)
    assert for_many.count <= 12
    rows = await invoice_rows(database, seller.seller_id)
    assert [r.entity_id for r in rows] == list(range(1, 1011))


async def test_concurrent_bulk_requests_never_double_invoice(
    client: httpx.AsyncClient, database: Database, seller: SellerContext
) -> None:
    """Two requests share 20 of their orders. On PostgreSQL both run at once and the second
    waits on the order-line locks; on SQLite BEGIN IMMEDIATE serialises them. Either way one
    wins, the other gets 409 and writes nothing."""
    customer = await create_customer(database, seller.seller_id)
    order_ids = await insert_orders(database, seller.seller_id, customer, 60)
    first_request, second_request = order_ids[:40], order_ids[20:]

    first, second = await asyncio.gather(
        bulk(client, seller, first_request), bulk(client, seller, second_request)
    )

    statuses = sorted([first.status_code, second.status_code])
    assert statuses == [201, 409], (first.text, second.text)
    winner, loser = (first, second) if first.status_code == 201 else (second, first)
    loser_ids = second_request if winner is first else first_request
    assert loser.json()["message"].startswith("Order already fully invoiced: ")
    assert loser.json()["message"].removeprefix("Order already fully invoiced: ") in loser_ids
    rows = await invoice_rows(database, seller.seller_id)
    assert len(rows) == 40 == winner.json()["count"]
    assert len({r.order_id for r in rows}) == 40
    assert [r.entity_id for r in rows] == list(range(1, 41))

    # The loser's orders that nobody invoiced can still be invoiced, numbered on from 41.
    rest = [order_id for order_id in loser_ids if order_id not in {r.order_id for r in rows}]
    again = await bulk(client, seller, rest)
    assert again.status_code == 201
    assert [i["entityId"] for i in again.json()["data"]] == [str(n) for n in range(41, 61)]
