"""Invoice search built for a million invoices: counts from the tally stay exact through every
kind of write, pages from the far end equal pages from the near end, a GET is one statement,
and on PostgreSQL every search case reads an index, never the seller's whole invoice table."""

import json
from typing import Any

import httpx
import pytest
from sqlalchemy import event, text

from khata.invoice import search
from tests.bulk.factories import csv_bytes, invoice_row, upload
from tests.invoice.ar_factories import confirm, create_invoice, dispatch, report_payment
from tests.support import Database, SellerContext, count_statements, create_customer

# Filters no invoice fails (every invoice was created after 2000 and is due after 1900): two
# ranges are neither the tally's keys nor one wide range, so with them the search counts the
# invoices themselves.
COUNTED = {"createdOnFrom": "2000-01-01", "dueDateFrom": "1900-01-01"}


async def _search(
    client: httpx.AsyncClient, seller: SellerContext, body: dict[str, Any], query: str = ""
) -> dict[str, Any]:
    response = await client.post(
        f"/api/v0/invoice/search{query}", json=body, headers=seller.headers
    )
    assert response.status_code == 200, response.text
    payload: dict[str, Any] = response.json()["payload"]
    return payload


async def _assert_counts_exact(
    client: httpx.AsyncClient, seller: SellerContext, filters: list[dict[str, Any]]
) -> None:
    for body in filters:
        summed = (await _search(client, seller, body))["totalCount"]
        counted = (await _search(client, seller, {**body, **COUNTED}))["totalCount"]
        assert summed == counted, body


async def test_counts_stay_exact_through_every_write(
    client: httpx.AsyncClient,
    seller: SellerContext,
    other_seller: SellerContext,
    database: Database,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    acme = await create_customer(database, seller.seller_id, legal_name="Acme Steel")
    zeta = await create_customer(database, seller.seller_id, legal_name="Zeta Mills")
    gone = await create_customer(database, seller.seller_id, legal_name="Gone Ltd")
    theirs = await create_customer(database, other_seller.seller_id, legal_name="Acme Steel")
    filters: list[dict[str, Any]] = [
        {},
        {"receivableStatuses": ["CREATED"]},
        {"receivableStatuses": ["SENT_TO_BUYER", "PAID", "PAYMENT_INITIATED"]},
        {"receivableStatuses": ["CANCELLED"]},
        {"customerIds": [acme]},
        {"customerLegalName": "steel", "receivableStatuses": ["CREATED"]},
        {"customerDeleted": True},
        {"dispatched": True},
        {"dispatched": False, "customerIds": [zeta]},
        {"createdVia": ["BULK_UPLOAD"]},
        {"buyerResponseStatuses": ["NONE"]},
        {"overdue": True},
        {"overdue": False},
        {"overdue": True, "customerIds": [acme]},
        {"overdue": False, "receivableStatuses": ["CREATED", "PAID"]},
    ]
    # Folding after every few rows: the searches below fold the tally again and again.
    monkeypatch.setattr(search, "FOLD_TALLY_AT", 3)

    made = [(await create_invoice(client, seller, acme))["invoiceId"] for _ in range(3)]
    made.append((await create_invoice(client, seller, zeta))["invoiceId"])
    made.append((await create_invoice(client, seller, gone))["invoiceId"])
    async with database.session_factory() as session, session.begin():
        # The customer goes after its invoice was made (a customer write, not an invoice one).
        await session.execute(
            text("UPDATE customer SET deleted = true WHERE seller_id = :s AND id = :c"),
            {"s": seller.seller_id, "c": gone},
        )
    await create_invoice(client, other_seller, theirs)
    await _assert_counts_exact(client, seller, filters)

    rows = [invoice_row(f"BULK-{n}", acme if n % 2 else zeta) for n in range(7)]
    assert (await upload(client, seller.headers, csv_bytes(rows))).status_code == 200
    assert (await _search(client, seller, {}))["totalCount"] == 12
    await _assert_counts_exact(client, seller, filters)

    await dispatch(client, seller, made[0], made[1], made[3])
    payment = await report_payment(client, seller, [(made[0], 1180)])
    assert payment.status_code == 200, payment.text
    assert (await confirm(client, seller, payment.json()["payload"]["paymentId"])).is_success
    await _assert_counts_exact(client, seller, filters)

    cancel = {
        "invoiceId": made[2],
        "statusTransition": {"currentStatus": "CREATED", "newStatus": "CANCELLED"},
        "objectVersion": {"currentVersion": 1},
        "remarks": "raised twice",
    }
    response = await client.post(
        "/api/v0/invoice/status-change", json=cancel, headers=seller.headers
    )
    assert response.status_code == 200, response.text
    deleted = await client.post(
        "/api/v0/invoice/bulk/delete", json={"invoiceIds": [made[4]]}, headers=seller.headers
    )
    assert deleted.json()["payload"]["successCount"] == 1
    everything = await _search(client, seller, {})
    assert everything["totalCount"] == 11  # the deleted one is gone from every count
    assert (await _search(client, seller, {"receivableStatuses": ["PAID"]}))["totalCount"] == 1
    await _assert_counts_exact(client, seller, filters)
    assert (await _search(client, other_seller, {}))["totalCount"] == 1


async def test_a_key_filter_count_reads_the_tally_on_postgresql(
    client: httpx.AsyncClient, seller: SellerContext, database: Database
) -> None:
    customer = await create_customer(database, seller.seller_id)
    await create_invoice(client, seller, customer)
    with count_statements(database.engine) as counter:
        found = await _search(client, seller, {"receivableStatuses": ["CREATED"]})
    assert found["totalCount"] == 1
    tally_reads = [s for s in counter.statements if "invoice_tally" in s]
    assert len(tally_reads) == (1 if database.backend == "postgresql" else 0)


@pytest.mark.parametrize(
    "order_by", ["dueDate", "dispatchedOn", "baseAmount", "createdOn", "invoiceNumber"]
)
async def test_pages_from_the_far_end_equal_pages_from_the_near_end(
    client: httpx.AsyncClient, seller: SellerContext, database: Database, order_by: str
) -> None:
    customer = await create_customer(database, seller.seller_id)
    ids = []
    for n in range(9):
        # Ties on due date and amount (id breaks them), some dispatched, most not (NULLs).
        invoice = await create_invoice(
            client, seller, customer, dueDate=f"2026-12-0{1 + n % 3}", baseAmount=100 + n % 2
        )
        ids.append(invoice["invoiceId"])
    await dispatch(client, seller, ids[1], ids[4])
    for direction in ("ASC", "DESC"):
        query = f"?orderBy={order_by}&direction={direction}"
        whole = await _search(client, seller, {}, f"{query}&limit=100")
        expected = [invoice["invoiceId"] for invoice in whole["invoices"]]
        assert sorted(expected) == sorted(ids)
        for offset in range(11):
            page = await _search(client, seller, {}, f"{query}&limit=4&offset={offset}")
            assert [i["invoiceId"] for i in page["invoices"]] == expected[offset : offset + 4]
            assert page["totalCount"] == 9


async def test_a_get_is_one_statement_after_the_token_check(
    client: httpx.AsyncClient, seller: SellerContext, database: Database
) -> None:
    customer = await create_customer(database, seller.seller_id)
    invoice = await create_invoice(client, seller, customer)
    with count_statements(database.engine) as counter:
        response = await client.get(
            f"/api/v0/invoice/{invoice['invoiceId']}", headers=seller.headers
        )
    assert response.json()["payload"] == invoice
    assert counter.count == 2, counter.statements  # the token, then the invoice


_SEED = """
INSERT INTO invoice (seller_id, id, entity_id, invoice_number, customer_id, invoice_date,
    due_date, base_amount, cgst, sgst, igst, tds, gst_exclusive, net_amount, total_received,
    balance_amount, partial_payment_allowed, receivable_status, approval_status, dispatched,
    dispatched_at, via, meta_fields, deleted, version, created_at, updated_at)
SELECT :seller_id, lpad(to_hex(:base + n), 24, '0'), :base + n, 'SEED-' || n, :customer_id,
    DATE '2024-01-01' + n % 1000, DATE '2024-01-31' + n % 1000, 10000 + (n * 7919) % 900000,
    0, 0, 0, 0, true, 10000 + (n * 7919) % 900000, 0, 10000 + (n * 7919) % 900000, true,
    CASE WHEN n % 50 = 0 THEN 'SENT_TO_BUYER' ELSE 'CREATED' END, 'APPROVED', n % 50 = 0,
    CASE WHEN n % 50 = 0 THEN TIMESTAMPTZ '2026-01-01' + n * INTERVAL '1 minute' END,
    'BULK_UPLOAD', '[]', n % 97 = 0, 1, TIMESTAMPTZ '2026-01-01' + n * INTERVAL '1 second',
    TIMESTAMPTZ '2026-01-01'
FROM generate_series(1, :rows) AS n
"""

# The search cases, each filter alone and combined, each orderBy, a deep offset.
_CASES: list[tuple[str, dict[str, Any]]] = [
    ("", {}),
    ("", {"receivableStatuses": ["CREATED"]}),
    ("", {"receivableStatuses": ["SENT_TO_BUYER"]}),
    ("", {"baseAmountFrom": 5000, "baseAmountTo": 5100}),
    ("", {"balanceAmountFrom": 5000, "balanceAmountTo": 5100}),
    ("", {"dueDateFrom": "2025-06-02", "dueDateTo": "2025-06-08"}),
    ("", {"dispatched": True}),
    ("", {"dispatchedOnFrom": "2026-01-02", "dispatchedOnTo": "2026-01-03"}),
    ("", {"buyerResponseStatuses": ["DISPUTED"]}),
    ("", {"customerLegalName": "seed"}),
    ("", {"receivableStatuses": ["CREATED"], "dueDateFrom": "2025-06-02"}),
    # Wide ranges, counted from the outside (the tally less the few invoices outside).
    ("", {"createdOnFrom": "2000-01-01"}),
    ("", {"createdOnFrom": "2026-01-01", "createdOnTo": "2026-12-31", "dispatched": False}),
    ("", {"dueDateTo": "2030-01-01", "receivableStatuses": ["CREATED"]}),
    ("", {"baseAmountFrom": 101, "customerLegalName": "seed"}),
    ("?offset=9000", {}),
    ("?offset=4000&orderBy=dueDate", {}),
    *[
        (f"?orderBy={column}&direction={direction}", {})
        for column in search.ORDER_COLUMNS
        for direction in ("ASC", "DESC")
    ],
]


def _scans(plan: dict[str, Any]) -> list[tuple[str, str]]:
    """The plan's nodes; under EXPLAIN ANALYZE only those that ran (a branch of a CASE that was
    not taken is planned but never executed)."""
    if plan.get("Actual Loops") == 0:
        return []
    found = [(plan["Node Type"], plan.get("Relation Name", ""))]
    for child in plan.get("Plans", []):
        found += _scans(child)
    return found


@pytest.mark.only_postgresql  # plans are PostgreSQL's; SQLite serves the small deployments
async def test_every_search_case_reads_an_index_on_postgresql(
    client: httpx.AsyncClient,
    seller: SellerContext,
    other_seller: SellerContext,
    database: Database,
) -> None:
    mine = await create_customer(database, seller.seller_id, legal_name="Seed Traders")
    theirs = await create_customer(database, other_seller.seller_id)
    async with database.session_factory() as session, session.begin():
        for seller_id, customer_id, base, rows in (
            (seller.seller_id, mine, 10_000_000, 15_000),
            (other_seller.seller_id, theirs, 20_000_000, 5_000),
        ):
            await session.execute(
                text(_SEED),
                {"seller_id": seller_id, "customer_id": customer_id, "base": base, "rows": rows},
            )
    async with database.engine.connect() as connection:
        # Index-only scans need the visibility map; the plan needs the statistics.
        autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
        await autocommit.execute(text("VACUUM ANALYZE invoice"))
        await autocommit.execute(text("ANALYZE customer"))

    captured: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "FROM invoice" in statement and not statement.lstrip().startswith("EXPLAIN"):
            captured.append((statement, parameters))

    event.listen(database.engine.sync_engine, "before_cursor_execute", capture)
    try:
        for query, body in _CASES:
            captured.clear()
            await _search(client, seller, body, query)
            assert captured, (query, body)
            async with database.engine.connect() as connection:
                for statement, parameters in captured:
                    raw = await connection.get_raw_connection()
                    driver = raw.driver_connection
                    assert driver is not None
                    found = await driver.fetchval(
                        f"EXPLAIN (ANALYZE, FORMAT JSON) {statement}", *parameters
                    )
                    plan = (json.loads(found) if isinstance(found, str) else found)[0]["Plan"]
                    scans = _scans(plan)
                    assert ("Seq Scan", "invoice") not in scans, (query, body, scans)
    finally:
        event.remove(database.engine.sync_engine, "before_cursor_execute", capture)


@pytest.mark.parametrize(
    ("inside_at_most", "outside_at_most"),
    [(1000, 2), (2, 1000), (2, 2)],
    ids=["walk-inside", "outside", "whole-range"],
)
async def test_range_counts_are_exact_from_inside_or_outside(
    client: httpx.AsyncClient,
    seller: SellerContext,
    database: Database,
    monkeypatch: pytest.MonkeyPatch,
    inside_at_most: int,
    outside_at_most: int,
) -> None:
    """A range with key filters is counted by a walk of the range stopped early when few
    invoices lie in it, from the outside when few lie outside it (PostgreSQL), else by a walk
    of the whole range: the count is the number of invoices the search lists, each way, for
    wide, narrow and one-sided ranges."""
    monkeypatch.setattr(search, "INSIDE_AT_MOST", inside_at_most)
    monkeypatch.setattr(search, "OUTSIDE_AT_MOST", outside_at_most)
    acme = await create_customer(database, seller.seller_id, legal_name="Acme Steel")
    other = await create_customer(database, seller.seller_id, legal_name="Zeta Mills")
    made = []
    for n in range(10):
        invoice = await create_invoice(
            client,
            seller,
            acme if n % 3 else other,
            dueDate=f"2026-12-{1 + n * 2:02d}",
            baseAmount=100 + 50 * n,
        )
        made.append(invoice["invoiceId"])
    await dispatch(client, seller, made[0], made[5], made[7])
    ranges: list[dict[str, Any]] = [
        {"dueDateFrom": "2026-12-02"},
        {"dueDateFrom": "2026-12-02", "dueDateTo": "2026-12-18"},
        {"dueDateTo": "2026-12-04"},
        {"baseAmountFrom": 120, "baseAmountTo": 500},
        {"balanceAmountFrom": 0},
        {"createdOnFrom": "2000-01-01", "createdOnTo": "2026-11-21"},
        {"createdOnFrom": "2026-11-22"},
    ]
    keys: list[dict[str, Any]] = [
        {},
        {"customerIds": [acme]},
        {"receivableStatuses": ["CREATED"]},
        {"dispatched": True, "customerLegalName": "zeta"},
    ]
    for body in ({**r, **k} for r in ranges for k in keys):
        found = await _search(client, seller, body, "?limit=5000")
        assert found["totalCount"] == len(found["invoices"]), body
