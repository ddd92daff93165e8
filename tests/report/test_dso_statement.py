"""DSO and customer statements over HTTP on both databases: hand-computed examples, the CSV
and PDF statement, and the statement e-mail caught by a real SMTP server with its PDF."""

import csv
import io
from datetime import UTC, date, datetime

import httpx
from pypdf import PdfReader

from khata.delivery.worker import run_pass
from khata.invoice.document import load_tax_invoices
from tests.delivery.factories import worker_settings
from tests.delivery.servers import SmtpServer
from tests.delivery.test_worker import unique_contact
from tests.report.factories import close, invoice, pay
from tests.support import Clock, Database, SellerContext, create_customer


async def test_dso_by_month_on_a_hand_computed_example(
    client: httpx.AsyncClient, seller: SellerContext, database: Database, clock: Clock
) -> None:
    customer_id = await create_customer(database, seller.seller_id)
    # January: net 1,180.00 (1,000 + 9% + 9% GST), TDS 10.00, so 1,170.00 receivable.
    january = await invoice(
        client, seller, customer_id, dated=date(2026, 1, 10), amount=1000, cgst=90, sgst=90,
        tds=10,
    )  # fmt: skip
    # February: net 2,000.00, paid 500.00 on 20 Feb; the January one paid in full then too.
    february = await invoice(client, seller, customer_id, dated=date(2026, 2, 5), amount=2000)
    await pay(client, seller, clock, [(january, 1170), (february, 500)], on=date(2026, 2, 20))
    response = await client.get(
        "/api/v0/reports/dso",
        params={"from": "2026-01-01", "to": "2026-03-31", "interval": "month"},
        headers=seller.headers,
    )
    assert response.status_code == 200, response.text
    report = response.json()["payload"]
    assert (report["from"], report["to"], report["interval"]) == (
        "2026-01-01",
        "2026-03-31",
        "month",
    )
    assert report["intervals"] == [
        # 1,170 / 1,180 x 31 = 30.7372... -> 30.74
        {"from": "2026-01-01", "to": "2026-01-31", "receivables": 1170.0,
         "creditSales": 1180.0, "dso": 30.74},
        # 1,500 / 2,000 x 28 = 21.00
        {"from": "2026-02-01", "to": "2026-02-28", "receivables": 1500.0,
         "creditSales": 2000.0, "dso": 21.0},
        {"from": "2026-03-01", "to": "2026-03-31", "receivables": 1500.0,
         "creditSales": 0.0, "dso": None},
    ]  # fmt: skip
    # The period: 1,500 / 3,180 x 90 days = 42.4528... -> 42.45
    assert report["period"] == {"receivables": 1500.0, "creditSales": 3180.0, "dso": 42.45}
    quarter = await client.get(
        "/api/v0/reports/dso",
        params={"from": "2026-01-15", "to": "2026-04-10", "interval": "quarter"},
        headers=seller.headers,
    )
    spans = [(i["from"], i["to"]) for i in quarter.json()["payload"]["intervals"]]
    assert spans == [("2026-01-15", "2026-03-31"), ("2026-04-01", "2026-04-10")]
    backwards = await client.get(
        "/api/v0/reports/dso", params={"from": "2026-03-01", "to": "2026-01-01"},
        headers=seller.headers,
    )  # fmt: skip
    assert backwards.status_code == 400
    assert backwards.json()["errorResponse"]["apiSubErrors"][0]["field"] == "from"


async def _statement_world(
    client: httpx.AsyncClient, seller: SellerContext, customer_id: str, clock: Clock
) -> dict[str, str]:
    before = await invoice(client, seller, customer_id, dated=date(2026, 3, 1), amount=1000)
    april = await invoice(client, seller, customer_id, dated=date(2026, 4, 5), amount=500)
    closed = await invoice(client, seller, customer_id, dated=date(2026, 4, 6), amount=80)
    later = await invoice(client, seller, customer_id, dated=date(2026, 5, 2), amount=70)
    first = await pay(client, seller, clock, [(before, 400)], on=date(2026, 4, 10))
    second = await pay(client, seller, clock, [(april, 500)], on=date(2026, 4, 20))
    await close(client, seller, clock, closed, on=date(2026, 4, 25))
    return {"before": before, "april": april, "closed": closed, "later": later,
            "first": first, "second": second}  # fmt: skip


async def test_statement_running_balance_on_a_hand_computed_example(
    client: httpx.AsyncClient, seller: SellerContext, database: Database, clock: Clock
) -> None:
    customer_id = await create_customer(database, seller.seller_id, legal_name="Statement Ltd")
    ids = await _statement_world(client, seller, customer_id, clock)
    response = await client.get(
        f"/api/v0/customer/{customer_id}/statement",
        params={"from": "2026-04-01", "to": "2026-04-30"},
        headers=seller.headers,
    )
    assert response.status_code == 200, response.text
    report = response.json()["payload"]
    assert report["openingBalance"] == 1000  # the March invoice
    assert [
        (e["date"], e["kind"], e["debit"], e["credit"], e["balance"]) for e in report["entries"]
    ] == [
        ("2026-04-05", "INVOICE", 500, 0, 1500),
        ("2026-04-06", "INVOICE", 80, 0, 1580),
        ("2026-04-10", "PAYMENT", 0, 400, 1180),
        ("2026-04-20", "PAYMENT", 0, 500, 680),
        ("2026-04-25", "CLOSED", 0, 80, 600),
    ]
    assert report["entries"][2]["paymentId"] == ids["first"]
    assert report["entries"][2]["invoiceId"] == ids["before"]
    assert report["closingBalance"] == 600
    # The aging of what is still open on the last day: the March invoice, due 31 Mar.
    assert report["aging"]["total"] == 600 and report["aging"]["1-30"] == 600
    assert report["aging"]["customerLegalName"] == "Statement Ltd"

    as_csv = await client.get(
        f"/api/v0/customer/{customer_id}/statement",
        params={"from": "2026-04-01", "to": "2026-04-30", "format": "csv"},
        headers=seller.headers,
    )
    rows = list(csv.reader(io.StringIO(as_csv.text)))
    assert rows[0] == ["date", "kind", "reference", "invoiceId", "paymentId", "debit", "credit",
                       "balance"]  # fmt: skip
    assert rows[1][1] == "OPENING" and float(rows[1][-1]) == 1000
    assert [float(row[-1]) for row in rows[2:-1]] == [1500, 1580, 1180, 680, 600]
    assert rows[-1][1] == "CLOSING" and float(rows[-1][-1]) == 600

    as_pdf = await client.get(
        f"/api/v0/customer/{customer_id}/statement",
        params={"from": "2026-04-01", "to": "2026-04-30", "format": "pdf"},
        headers=seller.headers,
    )
    assert as_pdf.status_code == 200 and as_pdf.content.startswith(b"%PDF")
    text = _pdf_text(as_pdf.content)
    for expected in ("STATEMENT OF ACCOUNT", "Statement Ltd", "Test Traders Pvt Ltd",
                     "Opening balance", "₹1,000.00", "Closing balance", "₹600.00",
                     ids["first"]):  # fmt: skip
        assert expected in text, expected
    again = await client.get(
        f"/api/v0/customer/{customer_id}/statement",
        params={"from": "2026-04-01", "to": "2026-04-30", "format": "pdf"},
        headers=seller.headers,
    )
    assert again.content == as_pdf.content  # the same statement, the same bytes


def _pdf_text(pdf: bytes) -> str:
    pages = PdfReader(io.BytesIO(pdf)).pages
    return " ".join(" ".join(page.extract_text().split()) for page in pages)


async def test_statement_of_another_sellers_customer_is_404(
    client: httpx.AsyncClient,
    seller: SellerContext,
    other_seller: SellerContext,
    database: Database,
) -> None:
    theirs = await create_customer(database, other_seller.seller_id)
    for path in (f"/api/v0/customer/{theirs}/statement", "/api/v0/customer/KCNOPE/statement"):
        response = await client.get(
            path, params={"from": "2026-04-01", "to": "2026-04-30"}, headers=seller.headers
        )
        assert response.status_code == 404, response.text
        assert response.json()["errorResponse"]["errorType"] == "RECORD_NOT_FOUND"
    sent = await client.post(
        f"/api/v0/customer/{theirs}/statement/send",
        json={"from": "2026-04-01", "to": "2026-04-30"},
        headers=seller.headers,
    )
    assert sent.status_code == 404


async def test_statement_email_reaches_smtp_once_with_its_pdf(
    client: httpx.AsyncClient,
    seller: SellerContext,
    database: Database,
    clock: Clock,
    smtp_server: SmtpServer,
) -> None:
    mail_on, mail_off = unique_contact(), unique_contact(mail_enabled=False)
    customer_id = await create_customer(
        database, seller.seller_id, legal_name="Mailed Ltd", contacts=[mail_on, mail_off]
    )
    await _statement_world(client, seller, customer_id, clock)
    clock.fixed = datetime(2026, 5, 1, 6, 30, tzinfo=UTC)
    headers = {**seller.headers, "Idempotency-Key": f"statement-{customer_id}"}
    body = {"from": "2026-04-01", "to": "2026-04-30"}
    first = await client.post(
        f"/api/v0/customer/{customer_id}/statement/send", json=body, headers=headers
    )
    assert first.status_code == 200, first.text
    assert first.json()["payload"]["recipients"] == [mail_on["email"]]
    repeat = await client.post(
        f"/api/v0/customer/{customer_id}/statement/send", json=body, headers=headers
    )
    assert repeat.json() == first.json()

    settings = worker_settings(database, smtp_port=smtp_server.port)
    result = await run_pass(
        database.session_factory, settings, clock.now(), schedule=None, attach=load_tax_invoices
    )
    assert result.failed == 0, result.errors
    [mail] = smtp_server.handler.to(str(mail_on["email"]))
    assert smtp_server.handler.to(str(mail_off["email"])) == []
    assert "Statement of account" in str(mail.message["Subject"])
    [part] = list(mail.message.iter_attachments())
    assert part.get_content_type() == "application/pdf"
    assert part.get_filename() == "statement_Mailed_Ltd_2026-04-01_2026-04-30.pdf"
    text = _pdf_text(part.get_payload(decode=True))
    assert "Mailed Ltd" in text and "₹600.00" in text


async def test_statement_period_defaults_to_the_financial_year_to_today(
    client: httpx.AsyncClient, seller: SellerContext, database: Database, clock: Clock
) -> None:
    customer_id = await create_customer(database, seller.seller_id)
    await invoice(client, seller, customer_id, dated=date(2026, 3, 31), amount=100)
    await invoice(client, seller, customer_id, dated=date(2026, 4, 1), amount=50)
    clock.fixed = datetime(2026, 11, 20, 20, 0, tzinfo=UTC)  # 21 Nov 01:30 in Kolkata
    response = await client.get(f"/api/v0/customer/{customer_id}/statement", headers=seller.headers)
    report = response.json()["payload"]
    assert (report["from"], report["to"]) == ("2026-04-01", "2026-11-21")
    assert report["openingBalance"] == 100 and report["closingBalance"] == 150
