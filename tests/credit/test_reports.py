"""Credit notes and write-offs in the reports: the aging as of a day counts only the credit
notes dated by then (and write-offs made by then), and the customer statement shows each as a
credit, its running balance ending where the aging does."""

from datetime import date

import httpx

from tests.credit.support import credited, write_off
from tests.invoice.test_pdf_endpoints import pdf_text
from tests.report.factories import aging, invoice, noon, pay, row_of
from tests.support import Clock, Database, SellerContext, create_customer


async def test_aging_and_statement_count_credit_notes_by_their_date_and_write_offs(
    client: httpx.AsyncClient, seller: SellerContext, database: Database, clock: Clock
) -> None:
    customer_id = await create_customer(database, seller.seller_id, legal_name="Credited Ltd")
    march = await invoice(client, seller, customer_id, dated=date(2026, 3, 1), amount=1000)
    april = await invoice(client, seller, customer_id, dated=date(2026, 4, 2), amount=500)
    clock.fixed = noon(date(2026, 4, 15))  # issued on the 15th, dated the 10th
    await credited(client, seller, march, amount=200, date="2026-04-10")
    clock.fixed = noon(date(2026, 4, 20))
    assert (await write_off(client, seller, april)).status_code == 200
    clock.fixed = noon(date(2026, 5, 1))

    def total(report: dict[str, object]) -> float:
        row = row_of(report, customer_id)  # type: ignore[arg-type]
        return 0.0 if row is None else float(row["total"])

    assert total(await aging(client, seller, asOf="2026-04-09")) == 1500
    assert total(await aging(client, seller, asOf="2026-04-10")) == 1300
    assert total(await aging(client, seller, asOf="2026-04-19")) == 1300
    assert total(await aging(client, seller, asOf="2026-04-20")) == 800

    dso = await client.get(
        "/api/v0/reports/dso",
        params={"from": "2026-03-01", "to": "2026-04-30", "interval": "month"},
        headers=seller.headers,
    )
    receivables = [i["receivables"] for i in dso.json()["payload"]["intervals"]]
    assert receivables == [1000, 800]  # April: 1,000 less the credit note; the other written off

    response = await client.get(
        f"/api/v0/customer/{customer_id}/statement",
        params={"from": "2026-04-01", "to": "2026-04-30"},
        headers=seller.headers,
    )
    assert response.status_code == 200, response.text
    report = response.json()["payload"]
    assert report["openingBalance"] == 1000
    assert [
        (e["date"], e["kind"], e["reference"], e["debit"], e["credit"], e["balance"])
        for e in report["entries"]
    ][1:] == [
        ("2026-04-10", "CREDIT_NOTE", "CN-1", 0, 200, 1300),
        ("2026-04-20", "WRITE_OFF", report["entries"][0]["reference"], 0, 500, 800),
    ]
    assert report["entries"][0]["kind"] == "INVOICE"
    assert report["closingBalance"] == 800
    assert report["aging"]["total"] == 800
    as_pdf = await client.get(
        f"/api/v0/customer/{customer_id}/statement",
        params={"from": "2026-04-01", "to": "2026-04-30", "format": "pdf"},
        headers=seller.headers,
    )
    assert as_pdf.status_code == 200
    text = pdf_text(as_pdf.content)
    assert "Credit note" in text and "CN-1" in text and "Written off" in text


async def test_each_partial_write_off_counts_from_its_own_day(
    client: httpx.AsyncClient, seller: SellerContext, database: Database, clock: Clock
) -> None:
    """Two partial write-offs on different days, then the rest paid: the aging between them
    counts only the first, and the statement shows each on its own day with its own amount."""
    customer_id = await create_customer(database, seller.seller_id, legal_name="Twice Ltd")
    march = await invoice(client, seller, customer_id, dated=date(2026, 3, 1), amount=1000)
    clock.fixed = noon(date(2026, 4, 10))
    assert (await write_off(client, seller, march, amount=200)).status_code == 200
    clock.fixed = noon(date(2026, 4, 20))
    assert (await write_off(client, seller, march, amount=300)).status_code == 200
    await pay(client, seller, clock, [(march, 500)], on=date(2026, 4, 25))
    clock.fixed = noon(date(2026, 5, 1))

    def total(report: dict[str, object]) -> float:
        row = row_of(report, customer_id)  # type: ignore[arg-type]
        return 0.0 if row is None else float(row["total"])

    expected = {"2026-04-09": 1000, "2026-04-10": 800, "2026-04-15": 800, "2026-04-20": 500}
    for as_of, owed in {**expected, "2026-04-25": 0}.items():
        assert total(await aging(client, seller, asOf=as_of)) == owed, as_of

    response = await client.get(
        f"/api/v0/customer/{customer_id}/statement",
        params={"from": "2026-04-01", "to": "2026-04-30"},
        headers=seller.headers,
    )
    assert response.status_code == 200, response.text
    report = response.json()["payload"]
    assert report["openingBalance"] == 1000
    entries = [(e["date"], e["kind"], e["credit"], e["balance"]) for e in report["entries"]]
    assert entries == [
        ("2026-04-10", "WRITE_OFF", 200, 800),
        ("2026-04-20", "WRITE_OFF", 300, 500),
        ("2026-04-25", "PAYMENT", 500, 0),
    ]
    assert report["closingBalance"] == 0
