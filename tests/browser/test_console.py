"""The AR team's console in real headless Chromium against a real `khata serve`: sign in with
the keyboard, read the dashboard (its figures are the API's aging), dispatch an invoice and see
its delivery, confirm a buyer-reported payment and see the invoice PAID, upload a 1,000-row
file with 10 bad rows and download the failure file, a forged form refused, another seller's
invoice answering the 404 page, ten wrong passwords throttled. Every page is shot at 1280x800
and 390x844 into the folder printed, and none is wider than the phone."""

import asyncio
import csv
import io
import re
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, Page, ViewportSize, async_playwright, expect

from khata.document.figures import rupees
from khata.kit.money import parse_amount, to_paise
from tests.browser.support import CHROMIUM, khata_env, khata_serve
from tests.bulk.factories import csv_bytes, invoice_row
from tests.buyer.support import take_payments
from tests.delivery.servers import SmtpServer
from tests.invoice.ar_factories import invoice_body
from tests.support import Database, SellerContext, create_customer, create_seller
from tests.test_cli import free_port

DESKTOP: ViewportSize = {"width": 1280, "height": 800}
PHONE: ViewportSize = {"width": 390, "height": 844}
BAD_ROWS = {n * 97 + 5 for n in range(10)}


class Shots:
    """Screenshots of each page at both sizes, in a folder the test output names."""

    def __init__(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.folder = tmp_path / "console-screenshots"
        self.folder.mkdir()
        with capsys.disabled():  # in the run's output, not only a failure's
            print(f"\nconsole screenshots: {self.folder}")

    async def take(self, page: Page, name: str) -> None:
        for size, viewport in (("1280x800", DESKTOP), ("390x844", PHONE)):
            await page.set_viewport_size(viewport)
            await page.screenshot(path=str(self.folder / f"{name}-{size}.png"), full_page=True)
            if viewport is PHONE:
                width = await page.evaluate("document.documentElement.scrollWidth")
                assert width <= PHONE["width"], f"{name} is {width}px wide on a phone"
        await page.set_viewport_size(DESKTOP)


def _shown(amount: float) -> str:
    return rupees(to_paise(parse_amount(amount)[0]))


async def _sign_in_by_keyboard(page: Page, base: str, seller: SellerContext) -> None:
    await page.goto(f"{base}/console")
    assert page.url.startswith(f"{base}/console/login")
    await page.focus("#email")
    await page.keyboard.type(seller.admin_email)
    await page.keyboard.press("Tab")
    await page.keyboard.type(seller.admin_password)
    await page.keyboard.press("Enter")
    await page.wait_for_url(f"{base}/console")


async def _invoice(http: httpx.AsyncClient, customer_id: str, number: str, **more: object) -> str:
    made = await http.post(
        "/api/v0/invoice", json=invoice_body(customer_id, invoiceNumber=number, **more)
    )
    assert made.status_code == 200, made.text
    invoice_id: str = made.json()["payload"]["invoiceId"]
    return invoice_id


async def _browser(playwright: object) -> Browser:
    chromium = playwright.chromium  # type: ignore[attr-defined]
    browser: Browser = await chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
    return browser


async def _buyer_reports_payment(page: Page, link: str) -> None:
    await page.goto(link)
    await page.fill("#utr", "UTR-CONSOLE-0001")
    await page.fill("#amount", "1180.00")
    # The latest day the page allows is the seller's today: no clock in the test.
    await page.fill("#paid_on", await page.get_attribute("#paid_on", "max") or "")
    await page.click("#report button[type=submit]")
    assert "awaiting confirmation" in await page.inner_text("body")


async def _check_dashboard(page: Page, http: httpx.AsyncClient, base: str) -> None:
    aging = (await http.get("/api/v0/reports/aging")).json()["payload"]
    await page.goto(f"{base}/console")
    assert await page.inner_text("#outstanding") == _shown(aging["totals"]["total"])
    for label in aging["buckets"]:
        cell = page.locator(f'#aging tr[data-bucket="{label}"] td.num')
        assert await cell.inner_text() == _shown(aging["totals"][label]), label
    assert await page.locator("svg.chart rect").count() == len(aging["buckets"])


async def test_the_ar_team_works_through_the_console(
    database: Database,
    seller: SellerContext,
    smtp_server: SmtpServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    shots = Shots(tmp_path, capsys)
    await take_payments(database, seller.seller_id)
    customer_id = await create_customer(database, seller.seller_id, legal_name="Kaveri Foods")
    other = await create_seller(database, name="Other Seller Ltd", state="27")
    their_customer = await create_customer(database, other.seller_id)
    port = free_port()
    env = khata_env(database, smtp_server, tmp_path, port)
    async with khata_serve(env, port) as base, httpx.AsyncClient(base_url=base) as http:
        http.headers.update(seller.headers)
        to_send = await _invoice(http, customer_id, f"SEND-{seller.seller_id}")
        to_pay = await _invoice(http, customer_id, f"PAY-{seller.seller_id}")
        await _invoice(http, customer_id, "LATE-1", invoiceDate="2025-01-01", dueDate="2025-01-31")
        sent = await http.post("/api/v0/invoice/bulk/dispatch", json={"invoiceIds": [to_pay]})
        pay_link = sent.json()["payload"]["results"][0]["paymentLink"]
        theirs = (
            await http.post(
                "/api/v0/invoice",
                json=invoice_body(their_customer, invoiceNumber="THEIRS-1"),
                headers=other.headers,
            )
        ).json()["payload"]["invoiceId"]

        async with async_playwright() as playwright:
            browser = await _browser(playwright)
            page = await browser.new_page(viewport=DESKTOP)
            await page.goto(f"{base}/console/login")
            await shots.take(page, "01-login")
            await _sign_in_by_keyboard(page, base, seller)
            await _check_dashboard(page, http, base)
            await shots.take(page, "02-dashboard")

            # Select and dispatch: the invoice's page then lists the queued e-mail.
            await page.goto(f"{base}/console/invoices")
            await shots.take(page, "03-invoices")
            await page.check(f"#pick-{to_send}")
            await page.click("text=Dispatch selected")
            assert "1 of 1 dispatched" in await page.inner_text("main")
            await shots.take(page, "04-dispatched")
            await page.goto(f"{base}/console/invoices/{to_send}")
            assert await page.inner_text("#status") == "Sent to buyer"
            deliveries = await page.inner_text("#deliveries")
            assert "asha@buyer.example" in deliveries and "PENDING" in deliveries
            await shots.take(page, "05-invoice")

            # The buyer reports a payment on the link; the seller accepts it in the console.
            buyer = await browser.new_page(viewport=PHONE)
            await _buyer_reports_payment(buyer, pay_link)
            await page.goto(f"{base}/console/payments")
            card = page.locator("section.card", has_text="UTR-CONSOLE-0001")
            assert "Reported by the buyer" in await card.inner_text()
            await shots.take(page, "06-payments")
            await card.locator("textarea").fill("Seen on the bank statement")
            await card.locator("button[value=ACCEPT]").click()
            await page.goto(f"{base}/console/invoices/{to_pay}")
            assert await page.inner_text("#status") == "Paid"
            await buyer.reload()
            assert "Paid" in await buyer.inner_text("body")

            await page.goto(f"{base}/console/customers")
            await shots.take(page, "07-customers")
            await page.click("text=Kaveri Foods")
            assert "LATE-1" in await page.inner_text("#open-invoices")
            await shots.take(page, "08-customer")
            await page.goto(f"{base}/console/settings")
            await shots.take(page, "09-settings")

            # A form posted without its CSRF token (the browser's own cookies) is refused.
            forged = await page.request.post(
                f"{base}/console/invoices/dispatch", form={"invoice": to_send}
            )
            assert forged.status == 403 and "security token" in await forged.text()

            # Another seller's invoice id answers the console's 404 page, like a missing one.
            answer = await page.goto(f"{base}/console/invoices/{theirs}")
            assert answer is not None and answer.status == 404
            assert "Not found" in await page.inner_text("h1")
            assert "THEIRS-1" not in await page.content()
            await shots.take(page, "10-not-found")
            await browser.close()


def _invoice_file(customer_id: str) -> bytes:
    rows = []
    for n in range(1000):
        row = invoice_row(f"UP-{n:04d}", customer_id)
        if n in BAD_ROWS:
            row["dueDate"] = "not a date"
        rows.append(row)
    return csv_bytes(rows)


async def test_a_thousand_row_upload_and_its_failure_file(
    database: Database,
    seller: SellerContext,
    smtp_server: SmtpServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    shots = Shots(tmp_path, capsys)
    customer_id = await create_customer(database, seller.seller_id)
    port = free_port()
    env = khata_env(database, smtp_server, tmp_path, port)
    async with khata_serve(env, port) as base, async_playwright() as playwright:
        browser = await _browser(playwright)
        page = await browser.new_page(viewport=DESKTOP, accept_downloads=True)
        await _sign_in_by_keyboard(page, base, seller)
        await page.goto(f"{base}/console/bulk")
        await shots.take(page, "11-bulk")
        await page.select_option("#kind", "invoices")
        await page.set_input_files(
            "#file",
            files=[
                {"name": "april.csv", "mimeType": "text/csv", "buffer": _invoice_file(customer_id)}
            ],
        )
        await page.click("form[enctype] button[type=submit]")
        # The job page refreshes itself until the job is done.
        await expect(page.locator("#job-status")).to_have_text("COMPLETED", timeout=120_000)
        assert await page.inner_text("#total-count") == "1000"
        assert await page.inner_text("#failure-count") == "10"
        await shots.take(page, "12-bulk-job")
        async with page.expect_download() as started:
            await page.click("#failure-file")
        download = await started.value
        assert download.suggested_filename == "april_failure.csv"
        saved = Path(await download.path())
        text = await asyncio.to_thread(saved.read_text, encoding="utf-8")
        rows = list(csv.DictReader(io.StringIO(text)))
        assert sorted(r["invoiceNumber"] for r in rows) == sorted(f"UP-{n:04d}" for n in BAD_ROWS)
        assert all(re.search("dueDate", r["error"]) for r in rows)
        await browser.close()


async def test_ten_wrong_passwords_lock_the_door(
    database: Database,
    seller: SellerContext,
    smtp_server: SmtpServer,
    tmp_path: Path,
) -> None:
    port = free_port()
    env = khata_env(database, smtp_server, tmp_path, port)
    async with khata_serve(env, port) as base, async_playwright() as playwright:
        browser = await _browser(playwright)
        page = await browser.new_page(viewport=PHONE)
        await page.goto(f"{base}/console/login")
        for _ in range(10):
            await page.fill("#email", seller.admin_email)
            await page.fill("#password", "wrong password")
            await page.click("button[type=submit]")
            assert "Wrong e-mail or password" in await page.inner_text("[role=alert]")
        await page.fill("#email", seller.admin_email)
        await page.fill("#password", seller.admin_password)
        await page.click("button[type=submit]")
        assert "Too many failed sign-ins" in await page.inner_text("[role=alert]")
        assert page.url.startswith(f"{base}/console/login")
        await browser.close()
