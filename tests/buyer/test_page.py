"""The buyer's page of a payment link: what a buyer sees on a phone, the PDF, the customer's
other open invoices, and what an unknown, cancelled or deleted link answers."""

from datetime import UTC, datetime

import httpx

from tests.buyer.support import (
    ACCOUNT_NUMBER,
    NOON_IST,
    UPI_ID,
    dispatched_invoice,
    take_payments,
)
from tests.support import Clock, Database, SellerContext, create_customer


async def test_page_shows_invoice_amount_due_overdue_badge_upi_and_bank(
    client: httpx.AsyncClient, database: Database, seller: SellerContext, clock: Clock
) -> None:
    clock.fixed = NOON_IST
    await take_payments(database, seller.seller_id)
    customer_id = await create_customer(database, seller.seller_id, legal_name="Sharma Steel")
    linked = await dispatched_invoice(client, seller, customer_id, dueDate="2026-11-10")

    page = await client.get(linked.path)

    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    html = page.text
    assert "Test Traders Pvt Ltd" in html and "Sharma Steel" in html
    assert f"Invoice {linked.invoice_number}" in html
    assert "₹1,180.00" in html
    assert "Overdue by 11 days" in html
    assert 'class="upi-qr"' in html
    vpa = UPI_ID.replace("@", "%40")
    upi = f"upi://pay?pa={vpa}&amp;pn=Test%20Traders%20Pvt%20Ltd&amp;am=1180.00"
    assert f'href="{upi}' in html and "Pay with UPI" in html
    assert ACCOUNT_NUMBER in html and "HDFC0001234" in html
    assert f'href="{linked.path}/pdf"' in html and "Download PDF" in html
    assert "<script" not in html


async def test_overdue_days_count_in_the_sellers_calendar(
    client: httpx.AsyncClient, database: Database, seller: SellerContext, clock: Clock
) -> None:
    customer_id = await create_customer(database, seller.seller_id)
    linked = await dispatched_invoice(client, seller, customer_id, dueDate="2026-11-30")

    clock.fixed = datetime(2026, 11, 30, 18, 0, tzinfo=UTC)  # 23:30 on the due date in Kolkata
    assert "Overdue by" not in (await client.get(linked.path)).text
    clock.fixed = datetime(2026, 11, 30, 18, 45, tzinfo=UTC)  # 00:15 the next day in Kolkata
    assert "Overdue by 1 day<" in (await client.get(linked.path)).text


async def test_no_qr_without_a_upi_id(
    client: httpx.AsyncClient, database: Database, seller: SellerContext
) -> None:
    await take_payments(database, seller.seller_id, upi=False)
    customer_id = await create_customer(database, seller.seller_id)
    linked = await dispatched_invoice(client, seller, customer_id)

    html = (await client.get(linked.path)).text

    assert "upi://" not in html and "<svg" not in html and "Pay with UPI" not in html
    assert ACCOUNT_NUMBER in html  # a bank transfer still works


async def test_pdf_downloads_as_an_attachment_named_after_the_invoice(
    client: httpx.AsyncClient, database: Database, seller: SellerContext
) -> None:
    customer_id = await create_customer(database, seller.seller_id)
    linked = await dispatched_invoice(client, seller, customer_id)

    pdf = await client.get(f"{linked.path}/pdf")

    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"] == (
        f'attachment; filename="{linked.invoice_number}.pdf"'
    )
    assert pdf.content.startswith(b"%PDF-")


async def test_other_open_invoices_of_the_customer_only_with_links_and_total(
    client: httpx.AsyncClient,
    database: Database,
    seller: SellerContext,
    other_seller: SellerContext,
    clock: Clock,
) -> None:
    clock.fixed = NOON_IST
    customer_id = await create_customer(database, seller.seller_id)
    linked = await dispatched_invoice(client, seller, customer_id)
    older = await dispatched_invoice(
        client, seller, customer_id, baseAmount=500, cgst=0, sgst=0, dueDate="2026-11-01"
    )
    # Not shown: never presented, another customer's, another seller's.
    hidden = await client.post(
        "/api/v0/invoice",
        json={"customerId": customer_id, "invoiceNumber": "NOT-SENT-1", "invoiceDate": "2026-11-01",
              "dueDate": "2026-11-30", "baseAmount": 700},
        headers=seller.headers,
    )  # fmt: skip
    assert hidden.status_code == 200
    stranger = await create_customer(database, seller.seller_id, legal_name="Stranger Co")
    strangers = await dispatched_invoice(client, seller, stranger)
    far_customer = await create_customer(database, other_seller.seller_id, legal_name="Far Co")
    far = await dispatched_invoice(client, other_seller, far_customer)

    html = (await client.get(linked.path)).text

    assert f'href="/pay/{older.key}">{older.invoice_number}</a>' in html
    assert "Overdue by 20 days" in html and "₹500.00" in html
    assert "Total outstanding" in html and "₹1,680.00" in html
    for absent in ("NOT-SENT-1", strangers.invoice_number, strangers.key, "Stranger Co",
                   far.invoice_number, far.key, "Far Co", "Other Seller Ltd"):  # fmt: skip
        assert absent not in html


async def test_unknown_key_answers_an_html_404(client: httpx.AsyncClient) -> None:
    for path in ("/pay/not-a-real-key-0123456789abcdef", "/pay/not-a-real-key-0123/pdf"):
        answer = await client.get(path)
        assert answer.status_code == 404
        assert answer.headers["content-type"].startswith("text/html")
        assert "Link not found" in answer.text


async def test_cancelled_invoice_says_so_and_offers_nothing(
    client: httpx.AsyncClient, database: Database, seller: SellerContext
) -> None:
    await take_payments(database, seller.seller_id)
    customer_id = await create_customer(database, seller.seller_id)
    linked = await dispatched_invoice(client, seller, customer_id)
    page = await client.get(linked.path)
    change = {
        "invoiceId": linked.invoice_id,
        "statusTransition": {"currentStatus": "SENT_TO_BUYER", "newStatus": "CANCELLED"},
        "objectVersion": {"currentVersion": 2},
    }
    cancelled = await client.post(
        "/api/v0/invoice/status-change", json=change, headers=seller.headers
    )
    assert cancelled.status_code == 200, cancelled.text

    html = (await client.get(linked.path)).text

    assert "cancelled" in html.lower()
    for offered in ("<form", "<svg", "upi://", ACCOUNT_NUMBER, "/pdf", "₹1,180.00"):
        assert offered not in html
    assert (await client.get(f"{linked.path}/pdf")).status_code == 410
    token = page.text.split('name="csrf" value="')[1].split('"')[0]
    late = await client.post(f"{linked.path}/answer", data={"csrf": token, "response": "ACCEPT"})
    assert late.status_code == 410 and "cancelled" in late.text


async def test_deleted_invoice_says_so_and_offers_nothing(
    client: httpx.AsyncClient, database: Database, seller: SellerContext
) -> None:
    customer_id = await create_customer(database, seller.seller_id)
    linked = await dispatched_invoice(client, seller, customer_id)
    deleted = await client.post(
        "/api/v0/invoice/bulk/delete", json={"invoiceIds": [linked.invoice_id]},
        headers=seller.headers,
    )  # fmt: skip
    assert deleted.json()["payload"]["successCount"] == 1

    html = (await client.get(linked.path)).text

    assert "cancelled" in html.lower() and "<form" not in html and "₹1,180.00" not in html
    assert (await client.get(f"{linked.path}/pdf")).status_code == 410


async def test_garbage_links_answer_an_html_page_never_json_or_a_crash(
    client: httpx.AsyncClient,
) -> None:
    for key in ("x", "A" * 500, "ग्राहक✓😀", "%ED%A0%80", "%FF", "' OR 1=1 --"):
        for path in (f"/pay/{key}", f"/pay/{key}/pdf"):
            answer = await client.get(path)
            assert answer.status_code == 404, path
            assert "Link not found" in answer.text
    # Refused before any page sees it (NUL in the URL), an unknown sub-path, a wrong method.
    for method, path, status in (
        ("GET", "/pay/%00", 400),
        ("GET", "/pay/some-key/elsewhere", 404),
        ("PUT", "/pay/some-key", 405),
    ):
        answer = await client.request(method, path)
        assert answer.status_code == status, path
        assert answer.headers["content-type"].startswith("text/html"), path
        assert answer.headers["x-robots-tag"].startswith("noindex")
        assert "some-key" not in answer.text
