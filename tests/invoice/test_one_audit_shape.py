"""One audit shape: an invoice's CREATED and DELETED entries carry the same snapshot (AR field
names, amounts in rupees) whether the commerce dialect, the AR dialect or a bulk file wrote it."""

from typing import Any

import httpx
from sqlalchemy import select

from khata.models import AuditEntry
from tests.bulk.factories import csv_bytes, invoice_row, upload
from tests.invoice.ar_factories import create_invoice
from tests.support import Database, SellerContext, create_customer


async def _entries(database: Database, seller_id: str, invoice_id: str) -> list[AuditEntry]:
    async with database.session_factory() as session:
        rows = await session.execute(
            select(AuditEntry)
            .where(AuditEntry.seller_id == seller_id, AuditEntry.entity_id == invoice_id)
            .order_by(AuditEntry.at, AuditEntry.id)
        )
        return list(rows.scalars())


async def _order_invoice(client: httpx.AsyncClient, seller: SellerContext, customer: str) -> str:
    order = await client.post(
        "/orders",
        json={
            "customerId": customer,
            "lineItems": [{"name": "Bolt", "quantity": 2, "unitPrice": 10.5, "taxRate": 18}],
        },
        headers=seller.headers,
    )
    assert order.status_code == 201, order.text
    made = await client.post(
        "/invoices/bulk", json={"orderIds": [order.json()["data"]["id"]]}, headers=seller.headers
    )
    assert made.status_code == 201, made.text
    invoice_id: str = made.json()["data"][0]["id"]
    return invoice_id


async def test_commerce_and_ar_writes_leave_one_snapshot_shape_in_rupees(
    client: httpx.AsyncClient, seller: SellerContext, database: Database
) -> None:
    customer = await create_customer(database, seller.seller_id)
    from_order = await _order_invoice(client, seller, customer)
    deleted = await client.delete(f"/invoices/{from_order}", headers=seller.headers)
    assert deleted.status_code == 200, deleted.text

    created, removed = await _entries(database, seller.seller_id, from_order)
    assert (created.action, removed.action) == ("CREATED", "DELETED")
    after: dict[str, Any] = created.after or {}
    # 2 x 10.50 = 21.00 at 18%: 3.78 of tax, split 1.89 + 1.89 within the state; rupees, not
    # the 2100 / 2478 paise the database keeps.
    assert (after["baseAmount"], after["cgst"], after["sgst"], after["netAmount"]) == (
        21.0,
        1.89,
        1.89,
        24.78,
    )
    assert after["receivableStatus"] == "CREATED"
    assert removed.before is not None and removed.before["balanceAmount"] == 24.78

    made = await create_invoice(client, seller, customer, baseAmount=21, cgst=1.89, sgst=1.89)
    by_ar = await client.post(
        "/api/v0/invoice/bulk/delete",
        json={"invoiceIds": [made["invoiceId"]]},
        headers=seller.headers,
    )
    assert by_ar.status_code == 200, by_ar.text
    ar_created, ar_removed = await _entries(database, seller.seller_id, made["invoiceId"])
    assert (ar_created.action, ar_removed.action) == ("CREATED", "DELETED")
    # Field for field the same shape: the same names, the same units.
    assert set(after) == set(ar_created.after or {})
    assert set(removed.before) == set(ar_removed.before or {})
    assert {k: after[k] for k in ("baseAmount", "cgst", "sgst", "netAmount")} == {
        k: (ar_created.after or {})[k] for k in ("baseAmount", "cgst", "sgst", "netAmount")
    }


async def test_a_bulk_file_row_leaves_the_snapshot_an_order_invoice_leaves(
    client: httpx.AsyncClient, seller: SellerContext, database: Database
) -> None:
    customer = await create_customer(database, seller.seller_id)
    from_order = await _order_invoice(client, seller, customer)
    row = invoice_row("FILE-1", customer, baseAmount="21", cgst="1.89", sgst="1.89")
    response = await upload(client, seller.headers, csv_bytes([row]), "shape.csv")
    assert response.status_code == 200, response.text
    imported = response.json()["payload"]["successRequests"][0]["invoiceId"]

    [order_created] = await _entries(database, seller.seller_id, from_order)
    [file_created] = await _entries(database, seller.seller_id, imported)
    order_after, file_after = order_created.after or {}, file_created.after or {}
    assert set(order_after) == set(file_after)
    assert file_after["netAmount"] == order_after["netAmount"] == 24.78
