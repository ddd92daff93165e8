"""The aging reads invoices from its covering report indexes alone, on PostgreSQL: a column the
query needs but an index lacks turns every open invoice into a table read (1.3 s at a million
invoices); only credit notes and write-offs look their invoice up by key."""

import json
from typing import Any

import httpx
import pytest
from sqlalchemy import event, text

from tests.invoice.test_search_scale import _SEED
from tests.report.factories import aging
from tests.support import Database, SellerContext, create_customer


def _invoice_reads(plan: dict[str, Any]) -> list[tuple[str, str]]:
    """(node type, index) of each read of invoice that ran."""
    if plan.get("Actual Loops") == 0:
        return []
    found = []
    if plan.get("Relation Name") == "invoice":
        found.append((plan["Node Type"], plan.get("Index Name", "")))
    for child in plan.get("Plans", []):
        found += _invoice_reads(child)
    return found


@pytest.mark.only_postgresql  # plans are PostgreSQL's
@pytest.mark.parametrize("as_of", ["2026-12-01", "2025-06-30"])
async def test_the_aging_reads_only_its_indexes(
    client: httpx.AsyncClient, seller: SellerContext, database: Database, as_of: str
) -> None:
    customer = await create_customer(database, seller.seller_id, legal_name="Seed Traders")
    async with database.session_factory() as session, session.begin():
        await session.execute(
            text(_SEED),
            {"seller_id": seller.seller_id, "customer_id": customer, "base": 0, "rows": 15_000},
        )
        # As sellers' books look: most invoices paid (here 9 in 10, 20 days after due).
        await session.execute(
            text(
                "UPDATE invoice SET settled_on = due_date + 20, first_paid_on = due_date + 20, "
                "receivable_status = 'PAID' WHERE seller_id = :seller_id AND entity_id % 10 <> 0"
            ),
            {"seller_id": seller.seller_id},
        )
        # And some of the open ones partly paid (the aging looks their allocations up).
        await session.execute(
            text(
                "UPDATE invoice SET first_paid_on = invoice_date "
                "WHERE seller_id = :seller_id AND entity_id % 20 = 0"
            ),
            {"seller_id": seller.seller_id},
        )
    async with database.engine.connect() as connection:
        autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
        await autocommit.execute(text("VACUUM ANALYZE invoice"))

    captured: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if not statement.lstrip().startswith("EXPLAIN"):
            captured.append((statement, parameters))

    event.listen(database.engine.sync_engine, "before_cursor_execute", capture)
    try:
        report = await aging(client, seller, asOf=as_of)
    finally:
        event.remove(database.engine.sync_engine, "before_cursor_execute", capture)
    assert report["rows"] and report["rows"][0]["customerId"] == customer

    async with database.engine.connect() as connection:
        raw = await connection.get_raw_connection()
        driver = raw.driver_connection
        assert driver is not None
        explained = 0
        for statement, parameters in captured:
            if "set_config(" in statement:  # the report's own planner settings, for the session
                await driver.execute(statement.replace(", true)", ", false)"))
            elif "FROM invoice" in statement:
                found = await driver.fetchval(
                    f"EXPLAIN (ANALYZE, FORMAT JSON) {statement}", *parameters
                )
                plan = (json.loads(found) if isinstance(found, str) else found)[0]["Plan"]
                reads = _invoice_reads(plan)
                # The open invoices come from their own index, in customer order.
                assert ("Index Only Scan", "ix_invoice_report_open") in reads, reads
                for node, index in reads:
                    assert node == "Index Only Scan" or index == "pk_invoice", reads
                explained += 1
        assert explained == 1
