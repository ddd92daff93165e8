"""GET /api/v0/reports/aging over HTTP on both databases: bucket edges, as-of dates around
payments (partial, rejected), closed invoices, custom buckets, filters, downloads read back."""

import csv
import io
from datetime import date

import httpx
from python_calamine import CalamineWorkbook

from tests.order.factories import post_order
from tests.report.factories import aging, close, invoice, pay, row_of
from tests.support import PINNED_TODAY, Clock, Database, SellerContext, create_customer

AS_OF = date(2026, 6, 30)
# (due date, rupees): due today, 1 day, 30, 31, 90, 91 days overdue, and not yet due.
EDGES = [
    (date(2026, 6, 30), 1),
    (date(2026, 6, 29), 2),
    (date(2026, 5, 31), 4),
    (date(2026, 5, 30), 8),
    (date(2026, 4, 1), 16),
    (date(2026, 3, 31), 32),
    (date(2026, 7, 15), 64),
]


async def _edges(client: httpx.AsyncClient, seller: SellerContext, customer_id: str) -> None:
    for due, rupees in EDGES:
        await invoice(client, seller, customer_id, dated=date(2026, 1, 1), due=due, amount=rupees)


async def test_bucket_edges_by_days_past_due(
    client: httpx.AsyncClient, seller: SellerContext, database: Database
) -> None:
    customer_id = await create_customer(database, seller.seller_id, legal_name="Edge Traders")
    await _edges(client, seller, customer_id)
    report = await aging(client, seller, asOf=AS_OF.isoformat())
    assert report["asOf"] == "2026-06-30" and report["basis"] == "dueDate"
    assert report["buckets"] == ["current", "1-30", "31-60", "61-90", "90+"]
    assert report["rows"] == [
        {
            "customerId": customer_id,
            "customerLegalName": "Edge Traders",
            "current": 65.0,  # due today (1) and not yet due (64)
            "1-30": 6.0,  # 1 day (2) and 30 days (4) overdue
            "31-60": 8.0,
            "61-90": 16.0,  # 90 days
            "90+": 32.0,  # 91 days
            "total": 127.0,
        }
    ]
    totals = report["totals"]
    assert totals == {"current": 65.0, "1-30": 6.0, "31-60": 8.0, "61-90": 16.0, "90+": 32.0,
                      "total": 127.0}  # fmt: skip


async def test_custom_buckets_and_invoice_date_basis(
    client: httpx.AsyncClient, seller: SellerContext, database: Database
) -> None:
    customer_id = await create_customer(database, seller.seller_id)
    await _edges(client, seller, customer_id)
    report = await aging(client, seller, asOf=AS_OF.isoformat(), buckets="15,45")
    assert report["buckets"] == ["current", "1-15", "16-45", "45+"]
    [row] = report["rows"]
    assert (row["current"], row["1-15"], row["16-45"], row["45+"]) == (65, 2, 12, 48)
    # From the invoice date (1 Jan, 180 days before) everything is in the last bucket.
    by_date = await aging(client, seller, asOf=AS_OF.isoformat(), basis="invoiceDate")
    assert by_date["basis"] == "invoiceDate"
    assert by_date["rows"][0]["90+"] == 127 and by_date["rows"][0]["current"] == 0


async def test_bad_buckets_are_a_clear_400(
    client: httpx.AsyncClient, seller: SellerContext
) -> None:
    for buckets, message in (
        ("60,30", "strictly ascending"),
        ("30,30", "strictly ascending"),
        ("0,30", "positive"),
        ("1,2,3,4,5,6,7,8,9", "at most 8"),
        ("30;60", "whole days"),
        ("thirty", "whole days"),
    ):
        response = await client.get(
            "/api/v0/reports/aging", params={"buckets": buckets}, headers=seller.headers
        )
        assert response.status_code == 400, (buckets, response.text)
        error = response.json()["errorResponse"]
        assert error["errorType"] == "VALIDATION_ERROR"
        assert error["apiSubErrors"][0]["field"] == "buckets"
        assert message in error["apiSubErrors"][0]["message"], (buckets, error)
    bad_date = await client.get(
        "/api/v0/reports/aging", params={"asOf": "2026-02-30"}, headers=seller.headers
    )
    assert bad_date.status_code == 400, bad_date.text


async def test_as_of_counts_payments_from_the_day_they_were_accepted(
    client: httpx.AsyncClient, seller: SellerContext, database: Database, clock: Clock
) -> None:
    customer_id = await create_customer(database, seller.seller_id)
    invoice_id = await invoice(
        client, seller, customer_id, dated=date(2026, 3, 1), due=date(2026, 3, 31), amount=1000
    )
    await pay(client, seller, clock, [(invoice_id, 300)], on=date(2026, 4, 10))
    await pay(client, seller, clock, [(invoice_id, 200)], on=date(2026, 4, 15), answer="REJECT")
    await pay(client, seller, clock, [(invoice_id, 700)], on=date(2026, 5, 5))

    async def owed(day: str) -> float | None:
        row = row_of(await aging(client, seller, asOf=day), customer_id)
        return None if row is None else row["total"]

    assert await owed("2026-02-28") is None  # not yet invoiced
    assert await owed("2026-03-01") == 1000
    assert await owed("2026-04-09") == 1000
    assert await owed("2026-04-10") == 700  # the partial payment, from its acceptance day
    assert await owed("2026-04-20") == 700  # the rejected payment never counts
    assert await owed("2026-05-04") == 700
    assert await owed("2026-05-05") is None  # paid in full
    row = row_of(await aging(client, seller, asOf="2026-04-30"), customer_id)
    assert row is not None and row["1-30"] == 700  # 30 days past due on 30 Apr


async def test_a_closed_invoice_counts_until_the_day_it_was_closed(
    client: httpx.AsyncClient, seller: SellerContext, database: Database, clock: Clock
) -> None:
    customer_id = await create_customer(database, seller.seller_id)
    invoice_id = await invoice(
        client, seller, customer_id, dated=date(2026, 3, 1), due=date(2026, 3, 31), amount=500
    )
    await pay(client, seller, clock, [(invoice_id, 100.25)], on=date(2026, 4, 1))
    await close(client, seller, clock, invoice_id, on=date(2026, 5, 10))
    before = row_of(await aging(client, seller, asOf="2026-05-09"), customer_id)
    assert before is not None and before["31-60"] == 399.75 and before["total"] == 399.75
    assert row_of(await aging(client, seller, asOf="2026-05-10"), customer_id) is None
    assert row_of(await aging(client, seller, asOf="2026-12-31"), customer_id) is None


async def test_deleted_and_cancelled_invoices_never_count(
    client: httpx.AsyncClient, seller: SellerContext, database: Database
) -> None:
    customer_id = await create_customer(database, seller.seller_id)
    kept = await invoice(client, seller, customer_id, dated=date(2026, 3, 1), amount=10)
    deleted = await invoice(client, seller, customer_id, dated=date(2026, 3, 1), amount=20)
    cancelled = await invoice(client, seller, customer_id, dated=date(2026, 3, 1), amount=40)
    gone = await client.post(
        "/api/v0/invoice/bulk/delete", json={"invoiceIds": [deleted]}, headers=seller.headers
    )
    assert gone.status_code == 200, gone.text
    shown = (await client.get(f"/api/v0/invoice/{cancelled}", headers=seller.headers)).json()
    changed = await client.post(
        "/api/v0/invoice/status-change",
        json={
            "invoiceId": cancelled,
            "statusTransition": {"currentStatus": "CREATED", "newStatus": "CANCELLED"},
            "objectVersion": {"currentVersion": shown["payload"]["version"]},
        },
        headers=seller.headers,
    )
    assert changed.status_code == 200, changed.text
    assert kept
    row = row_of(await aging(client, seller, asOf="2026-03-15"), customer_id)
    assert row is not None and row["total"] == 10


async def test_rows_by_total_customer_filter_and_other_sellers(
    client: httpx.AsyncClient,
    seller: SellerContext,
    other_seller: SellerContext,
    database: Database,
) -> None:
    small = await create_customer(database, seller.seller_id, legal_name="Small Ltd")
    big = await create_customer(database, seller.seller_id, legal_name="Big Ltd")
    settled = await create_customer(database, seller.seller_id, legal_name="No Dues Ltd")
    theirs = await create_customer(database, other_seller.seller_id, legal_name="Theirs Ltd")
    await invoice(client, seller, small, dated=date(2026, 3, 1), amount=10.01)
    await invoice(client, seller, big, dated=date(2026, 3, 1), amount=2000.5)
    await invoice(client, other_seller, theirs, dated=date(2026, 3, 1), amount=999)
    report = await aging(client, seller, asOf="2026-06-30")
    assert [row["customerLegalName"] for row in report["rows"]] == ["Big Ltd", "Small Ltd"]
    assert report["totals"]["total"] == 2010.51 and settled
    repeated = await client.get(
        "/api/v0/reports/aging",
        params=[("asOf", "2026-06-30"), ("customerIds", small), ("customerIds", theirs)],
        headers=seller.headers,
    )
    assert [row["customerId"] for row in repeated.json()["payload"]["rows"]] == [small]
    commas = await aging(client, seller, asOf="2026-06-30", customerIds=f"{small},{big}")
    assert len(commas["rows"]) == 2
    # Another seller's customer has no row here, and its invoices never show.
    assert (await aging(client, seller, customerIds=theirs))["rows"] == []


async def test_csv_and_xlsx_downloads_carry_the_json_columns(
    client: httpx.AsyncClient, seller: SellerContext, database: Database
) -> None:
    customer_id = await create_customer(database, seller.seller_id, legal_name="=Sheet Ltd")
    await _edges(client, seller, customer_id)
    report = await aging(client, seller, asOf=AS_OF.isoformat())
    columns = ["customerId", "customerLegalName", *report["buckets"], "total"]
    as_csv = await client.get(
        "/api/v0/reports/aging",
        params={"asOf": AS_OF.isoformat(), "format": "csv"},
        headers=seller.headers,
    )
    assert as_csv.status_code == 200
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert 'filename="aging_2026-06-30.csv"' in as_csv.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(as_csv.text)))
    assert rows[0] == columns
    assert rows[1][0] == customer_id and rows[1][1] == "'=Sheet Ltd"  # no formula
    assert [float(cell) for cell in rows[1][2:]] == [65, 6, 8, 16, 32, 127]
    assert rows[2][0] == "TOTAL" and float(rows[2][-1]) == 127
    as_xlsx = await client.get(
        "/api/v0/reports/aging",
        params={"asOf": AS_OF.isoformat(), "format": "xlsx"},
        headers=seller.headers,
    )
    assert as_xlsx.status_code == 200
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(as_xlsx.content)).get_sheet_by_index(0)
    cells = sheet.to_python()
    assert cells[0] == columns
    assert cells[1][0] == customer_id and cells[1][2:] == [65, 6, 8, 16, 32, 127]
    assert cells[2][0] == "TOTAL" and cells[2][-1] == 127


async def test_invoices_made_from_orders_count_like_ar_ones(
    client: httpx.AsyncClient, seller: SellerContext, database: Database, clock: Clock
) -> None:
    customer_id = await create_customer(database, seller.seller_id, legal_name="Orders Ltd")
    order = await post_order(
        client,
        seller,
        customer_id,
        [{"sku": "A-1", "name": "Widget", "quantity": 3, "unitPrice": 100.05, "taxRate": 18}],
    )
    made = await client.post(
        "/invoices/bulk", headers=seller.headers, json={"orderIds": [order["id"]]}
    )
    assert made.status_code == 201, made.text
    [commerce] = made.json()["data"]
    ar_id = await invoice(client, seller, customer_id, dated=PINNED_TODAY, amount=10)
    shown = (await client.get(f"/api/v0/invoice/{commerce['id']}", headers=seller.headers)).json()
    net = shown["payload"]["netAmount"]  # 300.15 + 18% GST = 354.18 (rounded per line)
    assert net == 354.18
    report = await aging(client, seller, asOf=PINNED_TODAY.isoformat())
    [row] = report["rows"]
    assert row["total"] == round(net + 10, 2) and row["current"] == row["total"]
    # Paid through the AR payment call, it leaves the aging from that day on.
    await pay(client, seller, clock, [(commerce["id"], net)], on=PINNED_TODAY)
    [row] = (await aging(client, seller, asOf=PINNED_TODAY.isoformat()))["rows"]
    assert row["total"] == 10 and ar_id
