"""Batch look-ups by id probe the index once per id, even in a table PostgreSQL has no
statistics for (a fresh deployment: autovacuum has not analysed it yet, and khata never asks
for a manual ANALYZE). They used to hash every order line of the seller instead: 360 ms of a
1,000-order POST /invoices/bulk after 100,000 earlier orders."""

import json
from typing import Any

import pytest
from sqlalchemy import event, text

from khata.kit.ids import new_object_id
from khata.order import repository
from tests.support import Database, SellerContext, create_customer

LINES = 60_000  # past a few thousand, scanning the seller would be the costly plan


def _scans(plan: dict[str, Any]) -> list[dict[str, Any]]:
    """Every node of a JSON plan that reads order_line."""
    found = [plan] if plan.get("Relation Name") == "order_line" else []
    for child in plan.get("Plans", []):
        found += _scans(child)
    return found


# SQLite plans by its own rules (no statistics needed for an index probe).
@pytest.mark.only_postgresql
async def test_order_lines_of_a_thousand_orders_are_probed_not_scanned(
    database: Database, seller: SellerContext
) -> None:
    customer_id = await create_customer(database, seller.seller_id)
    order_ids = [new_object_id() for _ in range(LINES // 3)]
    async with database.engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO sales_order (seller_id, id, customer_id, currency, subtotal, tax, "
                "total, meta_fields, created_at, updated_at) SELECT :s, o, :c, 'INR', 1, 0, 1, "
                "'[]', now(), now() FROM unnest(CAST(:o AS varchar[])) AS o"
            ),
            {"s": seller.seller_id, "c": customer_id, "o": order_ids},
        )
        await connection.execute(
            text(
                "INSERT INTO order_line (seller_id, id, order_id, position, name, quantity, "
                "unit_price, tax_rate_bp, invoiced_quantity) SELECT :s, "
                "md5(o || k)::varchar(24), o, k, 'Item', 1, 100, 1800, 0 "
                "FROM unnest(CAST(:o AS varchar[])) AS o, generate_series(0, 2) AS k"
            ),
            {"s": seller.seller_id, "o": order_ids},
        )
    captured: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        captured.append((statement, parameters))

    wanted = order_ids[-1000:]
    async with database.session_factory() as session, session.begin():
        event.listen(database.engine.sync_engine, "before_cursor_execute", capture)
        try:
            lines = await repository.lock_order_lines(session, seller.seller_id, wanted)
        finally:
            event.remove(database.engine.sync_engine, "before_cursor_execute", capture)
        assert sum(len(of_order) for of_order in lines.values()) == 3000
        statement, parameters = captured[-1]
        raw = await (await session.connection()).get_raw_connection()
        explained = await raw.driver_connection.fetchval(  # type: ignore[union-attr]
            f"EXPLAIN (FORMAT JSON) {statement}", *parameters
        )
    plans = json.loads(explained) if isinstance(explained, str) else explained
    scans = _scans(plans[0]["Plan"])
    assert scans, explained
    for scan in scans:
        # An index probe per order id, never the seller's every line filtered or hashed.
        assert "order_id" in scan.get("Index Cond", ""), json.dumps(scan)
