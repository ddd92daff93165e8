"""Write-offs: the balance (or part of it) written off as bad debt; written off to zero the
invoice is CLOSED, no longer overdue, and its pending reminders are cancelled at send time."""

from datetime import UTC, datetime

import httpx

from tests.credit.support import write_off
from tests.invoice.ar_factories import (
    confirm,
    create_invoice,
    dispatch,
    get_invoice,
    report_payment,
)
from tests.support import Clock, Database, SellerContext, create_customer


async def test_write_off_of_the_balance_closes_the_invoice_and_ends_overdue(
    client: httpx.AsyncClient, seller: SellerContext, database: Database, clock: Clock
) -> None:
    clock.fixed = datetime(2026, 12, 15, 6, 30, tzinfo=UTC)  # past the due date (2026-11-30)
    customer_id = await create_customer(database, seller.seller_id)
    invoice = await create_invoice(client, seller, customer_id, baseAmount=1000, cgst=0, sgst=0)
    invoice_id = invoice["invoiceId"]
    await dispatch(client, seller, invoice_id)
    await report_payment(client, seller, [(invoice_id, 250)], payment_id="P-WO-1")
    await confirm(client, seller, "P-WO-1")
    assert (await get_invoice(client, seller, invoice_id))["overdue"] is True

    part = await write_off(client, seller, invoice_id, amount=100)
    assert part.status_code == 200, part.text
    shown = part.json()["payload"]
    assert (shown["totalWrittenOff"], shown["balanceAmount"], shown["writtenOff"]) == (
        100,
        650,
        True,
    )
    assert shown["receivableStatus"]["name"] == "PARTIALLY_PAID"
    assert shown["overdue"] is True  # the rest is still owed and chased

    rest = await write_off(client, seller, invoice_id, reason="Buyer wound up")
    assert rest.status_code == 200, rest.text
    shown = rest.json()["payload"]
    assert (shown["totalWrittenOff"], shown["balanceAmount"]) == (750, 0)
    assert shown["receivableStatus"]["name"] == "CLOSED"
    assert shown["writtenOffReason"] == "Buyer wound up"
    assert shown["writtenOffOn"] == "2026-12-15"
    assert shown["overdue"] is False

    overdue = await client.post(
        "/api/v0/invoice/search", json={"overdue": True}, headers=seller.headers
    )
    assert invoice_id not in [i["invoiceId"] for i in overdue.json()["payload"]["invoices"]]
    history = await client.get(f"/api/v0/invoice/{invoice_id}/history", headers=seller.headers)
    written = [e for e in history.json()["payload"] if e["action"] == "WRITTEN_OFF"]
    assert [e["after"]["totalWrittenOff"] for e in written] == [100, 750]


async def test_write_off_refusals(
    client: httpx.AsyncClient, seller: SellerContext, database: Database
) -> None:
    customer_id = await create_customer(database, seller.seller_id)
    invoice = await create_invoice(client, seller, customer_id, baseAmount=100, cgst=0, sgst=0)
    invoice_id = invoice["invoiceId"]
    over = await write_off(client, seller, invoice_id, amount=100.01)
    assert over.status_code == 422
    for body in ({"amount": 0}, {"amount": -1}, {"reason": ""}):
        refused = await write_off(client, seller, invoice_id, **body)
        assert refused.status_code == 400, body
    await report_payment(client, seller, [(invoice_id, 100)], payment_id="P-WO-2")
    pending = await write_off(client, seller, invoice_id)
    assert pending.status_code == 422  # all of it is claimed by a payment awaiting confirmation
    await confirm(client, seller, "P-WO-2")
    paid = await write_off(client, seller, invoice_id)
    assert paid.status_code == 422
    assert (await get_invoice(client, seller, invoice_id))["totalWrittenOff"] == 0
