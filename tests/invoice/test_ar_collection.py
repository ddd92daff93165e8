"""Collection over HTTP: bulk dispatch (status, link, queued deliveries) and bulk delete."""

from datetime import UTC, datetime

import httpx
from sqlalchemy import select, update

from khata.models import Delivery, Invoice
from tests.invoice.ar_factories import create_invoice, dispatch, get_invoice, report_payment
from tests.support import Clock, Database, SellerContext, create_customer


async def _deliveries(database: Database, seller_id: str, invoice_id: str) -> list[Delivery]:
    async with database.session_factory() as session:
        result = await session.execute(
            select(Delivery)
            .where(Delivery.seller_id == seller_id, Delivery.invoice_id == invoice_id)
            .order_by(Delivery.dedupe_key)
        )
        return list(result.scalars())


async def test_dispatch_sends_to_every_enabled_channel_and_answers_per_invoice(
    client: httpx.AsyncClient,
    seller: SellerContext,
    other_seller: SellerContext,
    database: Database,
    clock: Clock,
) -> None:
    clock.fixed = datetime(2026, 11, 21, 4, 0, tzinfo=UTC)
    customer_id = await create_customer(
        database,
        seller.seller_id,
        contacts=[
            {"name": "A", "email": "a@buyer.example", "mobile": "9000000001", "sms_enabled": True},
            {"name": "B", "email": "b@buyer.example", "mail_enabled": False},
            {"name": "C", "mobile": "9000000003", "whatsapp_enabled": True},
        ],
    )
    invoice = await create_invoice(
        client, seller, customer_id, emailAddress="ap@buyer.example", mobileNumber="9000000009"
    )
    foreign_customer = await create_customer(database, other_seller.seller_id)
    foreign = await create_invoice(client, other_seller, foreign_customer)
    response = await client.post(
        "/api/v0/invoice/bulk/dispatch",
        json={
            "invoiceIds": [invoice["invoiceId"], "nosuchinvoice", foreign["invoiceId"]],
            "partialPaymentAllowed": False,
        },
        headers=seller.headers,
    )
    assert response.status_code == 200, response.text
    payload = response.json()["payload"]
    assert (payload["successCount"], payload["failureCount"]) == (1, 2)
    ok, missing, other = payload["results"]
    assert ok["success"] is True
    assert ok["receivableStatus"] == {"name": "SENT_TO_BUYER", "label": "Sent to buyer"}
    assert missing == {
        "invoiceId": "nosuchinvoice",
        "success": False,
        "message": "Invoice not found: nosuchinvoice",
    }
    assert other["message"] == f"Invoice not found: {foreign['invoiceId']}"

    shown = await get_invoice(client, seller, invoice["invoiceId"])
    assert shown["receivableStatus"]["name"] == "SENT_TO_BUYER"
    assert shown["dispatched"] is True
    assert shown["dispatchedOn"] == "2026-11-21 09:30:00"
    assert shown["partialPaymentAllowed"] is False
    link = shown["paymentLink"]
    assert link.startswith("http://test/pay/") and len(link) > len("http://test/pay/") + 30
    assert ok["paymentLink"] == link
    sent = await _deliveries(database, seller.seller_id, invoice["invoiceId"])
    assert sorted((d.channel, d.recipient) for d in sent) == [
        ("EMAIL", "a@buyer.example"),
        ("EMAIL", "ap@buyer.example"),
        ("SMS", "9000000001"),
        ("SMS", "9000000009"),
        ("WHATSAPP", "9000000003"),
    ]
    assert {d.kind for d in sent} == {"DISPATCH"}
    assert all(d.context and d.context["paymentLink"] == link for d in sent)
    # Another seller's invoice is untouched.
    assert (await get_invoice(client, other_seller, foreign["invoiceId"]))["dispatched"] is False

    # A re-dispatch re-sends (new messages) and keeps the same link.
    await dispatch(client, seller, invoice["invoiceId"])
    assert len(await _deliveries(database, seller.seller_id, invoice["invoiceId"])) == 10
    assert (await get_invoice(client, seller, invoice["invoiceId"]))["paymentLink"] == link


async def test_dispatch_does_not_send_twice_to_an_address_a_contact_already_has(
    client: httpx.AsyncClient, seller: SellerContext, database: Database
) -> None:
    customer_id = await create_customer(
        database,
        seller.seller_id,
        contacts=[
            {"name": "A", "email": "ap@buyer.example", "mobile": "9000000001", "sms_enabled": True}
        ],
    )
    invoice = await create_invoice(
        client, seller, customer_id, emailAddress="AP@buyer.example", mobileNumber="9000000001"
    )
    await dispatch(client, seller, invoice["invoiceId"])
    sent = await _deliveries(database, seller.seller_id, invoice["invoiceId"])
    assert sorted((d.channel, d.recipient) for d in sent) == [
        ("EMAIL", "ap@buyer.example"),
        ("SMS", "9000000001"),
    ]


async def test_dispatch_refuses_paid_or_cancelled_invoices(
    client: httpx.AsyncClient, seller: SellerContext, database: Database
) -> None:
    customer_id = await create_customer(database, seller.seller_id)
    invoice = await create_invoice(client, seller, customer_id, baseAmount=10, cgst=0, sgst=0)
    await report_payment(client, seller, [(invoice["invoiceId"], 10)])
    payload = await dispatch(client, seller, invoice["invoiceId"])
    assert payload["results"][0] == {
        "invoiceId": invoice["invoiceId"],
        "success": False,
        "message": "Invoice in status PAYMENT_INITIATED cannot be dispatched",
    }


async def test_dispatch_now_on_create(
    client: httpx.AsyncClient, seller: SellerContext, database: Database
) -> None:
    customer_id = await create_customer(database, seller.seller_id)
    invoice = await create_invoice(client, seller, customer_id, dispatchNow=True)
    assert invoice["receivableStatus"]["name"] == "SENT_TO_BUYER"
    assert invoice["dispatched"] is True and invoice["paymentLink"]
    assert len(await _deliveries(database, seller.seller_id, invoice["invoiceId"])) == 1


async def test_bulk_delete_only_without_money(
    client: httpx.AsyncClient, seller: SellerContext, database: Database
) -> None:
    customer_id = await create_customer(database, seller.seller_id)
    free = await create_invoice(client, seller, customer_id)
    pending = await create_invoice(client, seller, customer_id, baseAmount=50, cgst=0, sgst=0)
    await report_payment(client, seller, [(pending["invoiceId"], 50)])
    response = await client.post(
        "/api/v0/invoice/bulk/delete",
        json={"invoiceIds": [free["invoiceId"], pending["invoiceId"], "nosuchinvoice"]},
        headers=seller.headers,
    )
    assert response.status_code == 200
    payload = response.json()["payload"]
    assert (payload["successCount"], payload["failureCount"]) == (1, 2)
    assert [r["success"] for r in payload["results"]] == [True, False, False]
    assert payload["results"][1]["message"] == (
        f"Invoice cannot be deleted (a payment awaits confirmation): {pending['invoiceId']}"
    )
    gone = await client.get(f"/api/v0/invoice/{free['invoiceId']}", headers=seller.headers)
    assert gone.status_code == 404
    again = await client.post(
        "/api/v0/invoice/bulk/delete",
        json={"invoiceIds": [free["invoiceId"]]},
        headers=seller.headers,
    )
    assert again.json()["payload"]["results"][0]["success"] is False
    empty = await client.post(
        "/api/v0/invoice/bulk/delete", json={"invoiceIds": []}, headers=seller.headers
    )
    assert empty.status_code == 400


async def test_one_delete_rule_keeps_paid_cancelled_and_closed_invoices_in_both_dialects(
    client: httpx.AsyncClient, seller: SellerContext, database: Database
) -> None:
    customer_id = await create_customer(database, seller.seller_id)
    kept = {}
    for status, reason in (
        ("PAID", "it is paid"),
        ("CANCELLED", "it is cancelled"),
        ("CLOSED", "it is closed"),
    ):
        invoice = await create_invoice(client, seller, customer_id)
        async with database.session_factory() as session, session.begin():
            await session.execute(
                update(Invoice)
                .where(Invoice.seller_id == seller.seller_id, Invoice.id == invoice["invoiceId"])
                .values(receivable_status=status)
            )
        kept[invoice["invoiceId"]] = f"Invoice cannot be deleted ({reason}): {invoice['invoiceId']}"
    response = await client.post(
        "/api/v0/invoice/bulk/delete", json={"invoiceIds": list(kept)}, headers=seller.headers
    )
    assert response.status_code == 200
    results = response.json()["payload"]["results"]
    assert [(r["invoiceId"], r["success"], r["message"]) for r in results] == [
        (invoice_id, False, message) for invoice_id, message in kept.items()
    ]
    for invoice_id, message in kept.items():
        commerce = await client.delete(f"/invoices/{invoice_id}", headers=seller.headers)
        assert commerce.status_code == 409
        assert commerce.json() == {"success": False, "message": message}
        still = await client.get(f"/api/v0/invoice/{invoice_id}", headers=seller.headers)
        assert still.status_code == 200

    # A CREATED and a SENT_TO_BUYER invoice with nothing received go, through either dialect.
    created = await create_invoice(client, seller, customer_id)
    sent = await create_invoice(client, seller, customer_id, dispatchNow=True)
    assert sent["receivableStatus"]["name"] == "SENT_TO_BUYER"
    gone = await client.delete(f"/invoices/{created['invoiceId']}", headers=seller.headers)
    assert gone.status_code == 200, gone.text
    ar_gone = await client.post(
        "/api/v0/invoice/bulk/delete",
        json={"invoiceIds": [sent["invoiceId"]]},
        headers=seller.headers,
    )
    assert ar_gone.json()["payload"]["results"][0]["success"] is True
