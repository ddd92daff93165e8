"""The buyer's way through, in real headless Chromium against a real `khata serve` and a real
`khata worker`: the link comes from the dispatch e-mail the test's SMTP server caught, the page
is read at phone size, a reported payment is accepted by the seller and shows as paid, and a
disputed invoice is found by the seller's search. Screenshots go to the folder printed."""

import asyncio
import re
import sys
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Page, ViewportSize, async_playwright

from tests.auth.test_token import password_login
from tests.browser.support import CHROMIUM, khata_env, khata_serve
from tests.delivery.servers import SmtpServer
from tests.invoice.ar_factories import invoice_body
from tests.support import Database, SellerContext, create_customer
from tests.test_cli import free_port

PHONE: ViewportSize = {"width": 390, "height": 844}
BUYER = "asha@buyer.example"


async def _send_due_messages(env: dict[str, str]) -> None:
    """One pass of a real `khata worker` at its own clock: the dispatch messages are due now."""
    process = await asyncio.create_subprocess_exec(
        *[sys.executable, "-m", "khata.cli", "worker", "--once"],
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env=env,
    )
    output, _ = await process.communicate()
    assert process.returncode == 0, output.decode()


async def _dispatched(http: httpx.AsyncClient, customer_id: str, number: str) -> str:
    body = invoice_body(customer_id, invoiceNumber=number, baseAmount=1000, cgst=90, sgst=90)
    created = await http.post("/api/v0/invoice", json=body)
    assert created.status_code == 200, created.text
    invoice_id: str = created.json()["payload"]["invoiceId"]
    sent = await http.post("/api/v0/invoice/bulk/dispatch", json={"invoiceIds": [invoice_id]})
    assert sent.status_code == 200, sent.text
    return invoice_id


def _link_in_mail(smtp: SmtpServer, number: str) -> str:
    [mail] = [m for m in smtp.handler.to(BUYER) if number in str(m.message["Subject"])]
    found = re.search(r"https?://\S+/pay/[A-Za-z0-9_\-]+", mail.part("plain"))
    assert found, mail.part("plain")
    return found.group(0)


async def _shot(page: Page, folder: Path, name: str) -> None:
    await page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


async def _report_payment(page: Page, utr: str) -> None:
    await page.fill("#utr", utr)
    await page.fill("#amount", "1180.00")
    # The latest day the page allows is the seller's today: no clock in the test.
    await page.fill("#paid_on", await page.get_attribute("#paid_on", "max") or "")
    await page.click("#report button[type=submit]")


async def _accept_reported_payment(http: httpx.AsyncClient, invoice_id: str) -> None:
    history = (await http.get(f"/api/v0/invoice/{invoice_id}/history")).json()["payload"]
    [reported] = [e for e in history if e["action"] == "PAYMENT_REPORTED"]
    accepted = await http.post(
        "/api/v0/invoice/payment-confirmation",
        json={
            "invoiceIds": [invoice_id],
            "paymentId": reported["after"]["paymentId"],
            "remarks": "UTR seen on the statement",
            "response": "ACCEPT",
            "type": "OFFPLATFORM",
        },
    )
    assert accepted.status_code == 200, accepted.text


async def test_a_buyer_pays_from_the_mailed_link_and_disputes_another_invoice(
    database: Database,
    seller: SellerContext,
    smtp_server: SmtpServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    shots = tmp_path / "screenshots"
    shots.mkdir()
    with capsys.disabled():  # in the run's output, not only a failure's
        print(f"\nbuyer page screenshots: {shots}")
    customer_id = await create_customer(database, seller.seller_id)
    port = free_port()
    env = khata_env(database, smtp_server, tmp_path, port)
    async with khata_serve(env, port) as base, httpx.AsyncClient(base_url=base) as http:
        admin = (await password_login(http, seller)).json()["access_token"]
        profile = await http.patch(
            "/api/v0/seller",
            json={"upiId": "buyerpage@okaxis", "address": "12 MG Road, Bengaluru 560001"},
            headers={"Authorization": f"Bearer {admin}"},
        )
        assert profile.status_code == 200, profile.text
        http.headers.update(seller.headers)
        # Numbers of this seller only: the SMTP server outlives one database's run.
        paying, disputing = f"PAY-{seller.seller_id}", f"DISPUTE-{seller.seller_id}"
        paid_id = await _dispatched(http, customer_id, paying)
        disputed_id = await _dispatched(http, customer_id, disputing)
        await _send_due_messages(env)
        pay_link = _link_in_mail(smtp_server, paying)
        dispute_link = _link_in_mail(smtp_server, disputing)

        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=CHROMIUM, args=["--no-sandbox"]
            )
            page = await browser.new_page(viewport=PHONE)
            await page.goto(pay_link)
            text = await page.inner_text("body")
            assert paying in text and "₹1,180.00" in text
            assert await page.locator("svg").count() >= 1  # the UPI QR
            upi = await page.get_attribute("a[href^='upi://pay']", "href")
            assert upi is not None and "am=1180.00" in upi
            await _shot(page, shots, "1-invoice")

            await _report_payment(page, "UTR-WEB-0001")
            assert "Payment reported, awaiting confirmation" in await page.inner_text("body")
            await _shot(page, shots, "2-reported")
            await _accept_reported_payment(http, paid_id)
            await page.reload()
            assert "Paid" in await page.inner_text("body")
            await _shot(page, shots, "3-paid")

            await page.goto(dispute_link)
            await page.fill("#reason", "Goods arrived damaged")
            await page.click("#answer form:has(#reason) button[type=submit]")
            await _shot(page, shots, "4-disputed")
            await browser.close()

        found = await http.post(
            "/api/v0/invoice/search", json={"buyerResponseStatuses": ["DISPUTED"]}
        )
        assert found.status_code == 200, found.text
        invoices = found.json()["payload"]["invoices"]
        assert [i["invoiceId"] for i in invoices] == [disputed_id]
        assert invoices[0]["buyerResponse"]["reason"] == "Goods arrived damaged"
