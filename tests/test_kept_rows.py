"""No orphan without the foreign keys migration 0018 dropped (invoice -> customer, invoice ->
sales_order, invoice_line -> invoice, audit_entry -> seller), on both databases.

Two rules stand in for them: every path that writes a child checks its parent in the same
transaction, and parent rows are never deleted nor re-keyed (triggers refuse it). The tests
drive every path that writes those children with parents that are missing or another seller's,
race a bulk file against its customer's deletion, try the database's own DELETE, TRUNCATE and
key change, and then look for orphans in the whole database.
"""

import asyncio

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from tests.bulk.factories import csv_bytes, invoice_row, upload
from tests.invoice.ar_factories import invoice_body
from tests.support import Database, SellerContext, create_customer

# (child, parent, join condition): what the dropped foreign keys held.
_LINKS = (
    ("invoice", "customer", "p.seller_id = c.seller_id AND p.id = c.customer_id"),
    ("invoice", "sales_order", "p.seller_id = c.seller_id AND p.id = c.order_id"),
    ("invoice_line", "invoice", "p.seller_id = c.seller_id AND p.id = c.invoice_id"),
    ("audit_entry", "seller", "p.id = c.seller_id"),
)
_NULLABLE = {("invoice", "sales_order"): "c.order_id IS NOT NULL"}


async def orphans(database: Database) -> dict[str, int]:
    """Rows of the whole database whose parent is missing, by link (none expected)."""
    found: dict[str, int] = {}
    async with database.engine.connect() as connection:
        for child, parent, on in _LINKS:
            where = _NULLABLE.get((child, parent), "1 = 1")
            count = await connection.scalar(
                text(
                    f"SELECT count(*) FROM {child} c WHERE {where} AND NOT EXISTS "
                    f"(SELECT 1 FROM {parent} p WHERE {on})"
                )
            )
            found[f"{child} -> {parent}"] = int(count or 0)
    return found


def _no_orphans() -> dict[str, int]:
    return {f"{child} -> {parent}": 0 for child, parent, _ in _LINKS}


async def _order(client: httpx.AsyncClient, seller: SellerContext, customer_id: str) -> str:
    response = await client.post(
        "/orders",
        json={
            "customerId": customer_id,
            "lineItems": [{"name": "Bolt", "quantity": 3, "unitPrice": 10.5, "taxRate": 18}],
        },
        headers=seller.headers,
    )
    assert response.status_code == 201, response.text
    order_id: str = response.json()["data"]["id"]
    return order_id


async def _invoice_count(database: Database, seller_id: str) -> int:
    async with database.engine.connect() as connection:
        count = await connection.scalar(
            text("SELECT count(*) FROM invoice WHERE seller_id = :s"), {"s": seller_id}
        )
    return int(count or 0)


async def test_no_path_writes_an_invoice_for_a_missing_or_foreign_customer_or_order(
    client: httpx.AsyncClient,
    seller: SellerContext,
    other_seller: SellerContext,
    database: Database,
) -> None:
    theirs = await create_customer(database, other_seller.seller_id)
    their_order = await _order(client, other_seller, theirs)
    before = await _invoice_count(database, seller.seller_id)
    for customer_id in (theirs, "KCNOSUCHCUSTOM00"):
        # AR create
        created = await client.post(
            "/api/v0/invoice", json=invoice_body(customer_id), headers=seller.headers
        )
        assert created.status_code in (400, 404, 422), created.text
        # AR bulk file (the CLI import runs the same engine)
        filed = await upload(
            client, seller.headers, csv_bytes([invoice_row("KEPT-1", customer_id)]), "k.csv"
        )
        assert filed.json()["payload"]["success_count"] == 0
        # Commerce: an order for that customer cannot even be made
        ordered = await client.post(
            "/orders",
            json={
                "customerId": customer_id,
                "lineItems": [{"name": "Bolt", "quantity": 1, "unitPrice": 1, "taxRate": 18}],
            },
            headers=seller.headers,
        )
        assert ordered.status_code in (400, 404, 422), ordered.text
    # Commerce, from another seller's order or a missing one
    for order_id in (their_order, "0" * 24):
        one = await client.post("/invoices", json={"orderId": order_id}, headers=seller.headers)
        assert one.status_code == 404, one.text
        bulk = await client.post(
            "/invoices/bulk", json={"orderIds": [order_id]}, headers=seller.headers
        )
        assert bulk.status_code == 404, bulk.text
    assert await _invoice_count(database, seller.seller_id) == before
    assert await orphans(database) == _no_orphans()


async def test_every_path_with_real_parents_leaves_no_orphan(
    client: httpx.AsyncClient, seller: SellerContext, database: Database
) -> None:
    customer_id = await create_customer(database, seller.seller_id)
    created = await client.post(
        "/api/v0/invoice", json=invoice_body(customer_id), headers=seller.headers
    )
    assert created.status_code == 200, created.text
    filed = await upload(
        client,
        seller.headers,
        csv_bytes([invoice_row(f"KEPT-{n}", customer_id) for n in range(3)]),
        "kept.csv",
    )
    assert filed.json()["payload"]["success_count"] == 3
    one = await client.post(
        "/invoices",
        json={"orderId": await _order(client, seller, customer_id)},
        headers=seller.headers,
    )
    assert one.status_code == 201, one.text
    orders = [await _order(client, seller, customer_id) for _ in range(2)]
    bulk = await client.post("/invoices/bulk", json={"orderIds": orders}, headers=seller.headers)
    assert bulk.status_code == 201, bulk.text
    assert await orphans(database) == _no_orphans()


async def test_a_customer_deleted_while_its_bulk_file_runs_leaves_no_orphan(
    client: httpx.AsyncClient, seller: SellerContext, database: Database
) -> None:
    customer_id = await create_customer(database, seller.seller_id)
    rows = [invoice_row(f"RACE-{n:04d}", customer_id) for n in range(600)]

    async def delete_soon() -> httpx.Response:
        await asyncio.sleep(0.01)
        return await client.delete(f"/api/v0/customer/{customer_id}", headers=seller.headers)

    filed, deleted = await asyncio.gather(
        upload(client, seller.headers, csv_bytes(rows), "race.csv"), delete_soon()
    )
    assert filed.status_code == 200, filed.text
    # Whichever came first, the customer row is still there (only marked deleted) and every
    # invoice saved points at it.
    assert deleted.status_code in (200, 400, 409), deleted.text
    assert await orphans(database) == _no_orphans()
    async with database.engine.connect() as connection:
        kept = await connection.scalar(
            text("SELECT count(*) FROM customer WHERE seller_id = :s AND id = :c"),
            {"s": seller.seller_id, "c": customer_id},
        )
    assert kept == 1


_REFUSED: tuple[tuple[str, str], ...] = (
    ("seller", "DELETE FROM seller WHERE id = :seller_id"),
    ("customer", "DELETE FROM customer WHERE seller_id = :seller_id"),
    ("sales_order", "DELETE FROM sales_order WHERE seller_id = :seller_id"),
    ("invoice", "DELETE FROM invoice WHERE seller_id = :seller_id"),
    ("seller", "UPDATE seller SET id = 'ZZZZZZZZZZ' WHERE id = :seller_id"),
    ("customer", "UPDATE customer SET id = 'KCMOVED000000000' WHERE seller_id = :seller_id"),
    ("sales_order", "UPDATE sales_order SET seller_id = 'ZZZZZZZZZZ' WHERE seller_id = :seller_id"),
    ("invoice", "UPDATE invoice SET id = 'ffffffffffffffffffffffff' WHERE seller_id = :seller_id"),
)


@pytest.mark.parametrize(("table", "statement"), _REFUSED)
async def test_the_database_refuses_to_delete_or_rekey_a_parent(
    client: httpx.AsyncClient,
    seller: SellerContext,
    database: Database,
    table: str,
    statement: str,
) -> None:
    customer_id = await create_customer(database, seller.seller_id)
    await client.post(
        "/invoices",
        json={"orderId": await _order(client, seller, customer_id)},
        headers=seller.headers,
    )
    with pytest.raises(DBAPIError, match=f"rows of {table} are kept"):
        async with database.engine.begin() as connection:
            await connection.execute(text(statement), {"seller_id": seller.seller_id})
    assert await orphans(database) == _no_orphans()


@pytest.mark.only_postgresql  # SQLite has no TRUNCATE
async def test_postgresql_refuses_truncate_of_a_parent(database: Database) -> None:
    for table in ("seller", "customer", "sales_order", "invoice"):
        with pytest.raises(DBAPIError, match="are kept"):
            async with database.engine.begin() as connection:
                await connection.execute(text(f"TRUNCATE {table} CASCADE"))
