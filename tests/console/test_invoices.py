"""The console's invoices over HTTP: the API's search as a form, paging, the CSV export of the
filtered list, select-and-dispatch, and one invoice's page with its status change."""

import csv
import io
import re

import httpx

from tests.console.support import csrf_of, signed_in_csrf
from tests.invoice.ar_factories import create_invoice
from tests.support import Database, SellerContext, create_customer


def _numbers(html: str) -> list[str]:
    return re.findall(r'/console/invoices/[0-9a-f]{24}">([^<]+)</a>', html)


async def test_the_search_form_filters_pages_and_exports_like_the_api(
    client: httpx.AsyncClient, database: Database, seller: SellerContext
) -> None:
    acme = await create_customer(database, seller.seller_id, legal_name="Acme Tools")
    zeta = await create_customer(database, seller.seller_id, legal_name="Zeta Mills")
    for n in range(3):
        await create_invoice(client, seller, acme, invoiceNumber=f"ACME-{n}", dueDate="2026-11-10")
    await create_invoice(client, seller, zeta, invoiceNumber="ZETA-BIG", baseAmount=50000)
    await signed_in_csrf(client, seller)

    everything = await client.get("/console/invoices")
    assert everything.status_code == 200 and "4 invoices" in everything.text
    overdue = await client.get("/console/invoices", params={"overdue": "yes", "customer": "acme"})
    assert sorted(_numbers(overdue.text)) == ["ACME-0", "ACME-1", "ACME-2"]
    big = await client.get("/console/invoices", params={"base_from": "10000"})
    assert _numbers(big.text) == ["ZETA-BIG"]
    created = await client.get(
        "/console/invoices", params={"status": "CREATED", "dispatched": "no"}
    )
    assert "4 invoices" in created.text
    assert (await client.get("/console/invoices", params={"status": "PAID"})).text.count(
        "No invoice matches"
    ) == 1

    wrong = await client.get("/console/invoices", params={"base_from": "lots"})
    assert wrong.status_code == 400 and "baseAmountFrom" in wrong.text

    paged = await client.get(
        "/console/invoices",
        params={"customer": "acme", "order": "invoiceNumber", "direction": "ASC"},
    )
    assert _numbers(paged.text) == ["ACME-0", "ACME-1", "ACME-2"]

    export = await client.get("/console/invoices.csv", params={"overdue": "yes"})
    assert export.status_code == 200
    assert export.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(export.text)))
    assert sorted(r["invoiceNumber"] for r in rows) == ["ACME-0", "ACME-1", "ACME-2"]
    assert {r["balanceAmount"] for r in rows} == {"1180.0"}


async def test_select_and_dispatch_then_the_invoice_page_shows_its_delivery(
    client: httpx.AsyncClient, database: Database, seller: SellerContext
) -> None:
    customer = await create_customer(database, seller.seller_id)
    invoice = await create_invoice(client, seller, customer, invoiceNumber="SEND-1")
    csrf = await signed_in_csrf(client, seller)
    refused = await client.post(
        "/console/invoices/dispatch", data={"invoice": invoice["invoiceId"]}
    )
    assert refused.status_code == 403
    sent = await client.post(
        "/console/invoices/dispatch", data={"invoice": invoice["invoiceId"], "csrf": csrf}
    )
    assert sent.status_code == 200 and "1 of 1 dispatched" in sent.text

    shown = await client.get(f"/console/invoices/{invoice['invoiceId']}")
    assert shown.status_code == 200
    assert "Sent to buyer" in shown.text
    assert "asha@buyer.example" in shown.text and "PENDING" in shown.text  # the queued e-mail
    assert "DISPATCHED" in shown.text  # history
    assert "TAX INVOICE" in shown.text.upper() and "SEND-1" in shown.text
    pdf = await client.get(f"/console/invoices/{invoice['invoiceId']}/pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


async def test_a_status_change_is_refused_when_the_invoice_changed_meanwhile(
    client: httpx.AsyncClient, database: Database, seller: SellerContext
) -> None:
    customer = await create_customer(database, seller.seller_id)
    invoice = await create_invoice(client, seller, customer, invoiceNumber="STALE-1")
    await signed_in_csrf(client, seller)
    shown = await client.get(f"/console/invoices/{invoice['invoiceId']}")
    form = {
        "csrf": csrf_of(shown.text),
        "current_status": "CREATED",
        "version": str(invoice["version"]),
        "new_status": "CANCELLED",
        "remarks": "raised twice",
    }
    # Someone changes the invoice after the page was read: its version moves on.
    patched = await client.patch(
        f"/api/v0/invoice/{invoice['invoiceId']}",
        json={"description": "changed elsewhere"},
        headers=seller.headers,
    )
    assert patched.status_code == 200
    stale = await client.post(f"/console/invoices/{invoice['invoiceId']}/status", data=form)
    assert stale.status_code == 422 and "Invoice has changed" in stale.text
    fresh = await client.post(
        f"/console/invoices/{invoice['invoiceId']}/status",
        data=form | {"version": str(patched.json()["payload"]["version"])},
    )
    assert fresh.status_code == 303
    after = await client.get(f"/console/invoices/{invoice['invoiceId']}")
    assert 'id="status">Cancelled' in after.text
