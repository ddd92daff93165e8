"""Bulk invoice import leaves the same CREATED audit entry as an AR create (rupee amounts)."""

import httpx

from tests.bulk.factories import csv_bytes, invoice_row, upload
from tests.invoice.ar_factories import create_invoice
from tests.support import Database, SellerContext, create_customer


async def _created_entry(
    client: httpx.AsyncClient, seller: SellerContext, invoice_id: str
) -> dict[str, object]:
    history = await client.get(f"/api/v0/invoice/{invoice_id}/history", headers=seller.headers)
    assert history.status_code == 200, history.text
    entries = history.json()["payload"]
    assert [entry["action"] for entry in entries] == ["CREATED"]
    entry: dict[str, object] = entries[0]
    return entry


async def test_imported_invoice_history_shows_created_in_rupees(
    client: httpx.AsyncClient, seller: SellerContext, database: Database
) -> None:
    customer = await create_customer(database, seller.seller_id)
    row = invoice_row(
        "INV-A1",
        customer,
        invoiceDate="2026-11-01",
        dueDate="2026-11-30",
        baseAmount="1000.50",
        cgst="90",
        sgst="90",
        tds="10",
    )
    response = await upload(client, seller.headers, csv_bytes([row]), "audit.csv")
    assert response.status_code == 200, response.text
    imported_id = response.json()["payload"]["successRequests"][0]["invoiceId"]

    imported = await _created_entry(client, seller, imported_id)
    after = imported["after"]
    assert isinstance(after, dict)
    assert after["invoiceNumber"] == "INV-A1"
    assert (after["baseAmount"], after["netAmount"], after["balanceAmount"]) == (
        1000.5,
        1180.5,
        1170.5,
    )
    assert imported["before"] is None

    # The same invoice made through the AR API leaves the same snapshot, field for field.
    made = await create_invoice(
        client,
        seller,
        customer,
        invoiceNumber="INV-A2",
        baseAmount=1000.50,
        tds=10,
    )
    reference = await _created_entry(client, seller, made["invoiceId"])
    reference_after = reference["after"]
    assert isinstance(reference_after, dict)
    assert {**after, "invoiceNumber": "INV-A2"} == reference_after
