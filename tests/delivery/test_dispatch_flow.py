"""End to end: the AR dispatch endpoint queues, the worker sends, both dialects show it."""

import secrets
from datetime import UTC, date, datetime

import httpx

from khata.delivery.worker import run_pass
from khata.reminder.scheduler import schedule_reminders
from tests.delivery.factories import create_invoice, worker_settings
from tests.delivery.servers import Gateway, SmtpServer
from tests.support import Clock, Database, SellerContext, create_customer

NOW = datetime(2026, 12, 3, 6, 0, tzinfo=UTC)  # 11:30 in Asia/Kolkata


async def test_dispatch_endpoint_then_worker_sends_and_invoice_shows_mails_sent(
    database: Database,
    seller: SellerContext,
    smtp_server: SmtpServer,
    gateway: Gateway,
    client: httpx.AsyncClient,
    clock: Clock,
) -> None:
    clock.fixed = NOW
    tag = secrets.token_hex(4)
    meera, off = f"meera-{tag}@buyer.example", f"off-{tag}@buyer.example"
    mobile = f"98{secrets.randbelow(10**8):08d}"
    customer_id = await create_customer(
        database,
        seller.seller_id,
        contacts=[
            {
                "name": "Meera",
                "email": meera,
                "mobile": mobile,
                "sms_enabled": True,
            },
            {"name": "Off", "email": off, "mail_enabled": False},
        ],
    )
    invoice = await create_invoice(
        database,
        seller.seller_id,
        customer_id,
        invoice_number="INV-FLOW-1",
        due_date=date(2026, 12, 31),
        status="CREATED",
        dispatched=False,
        balance_paise=2_50_000_00,
    )

    dispatched = await client.post(
        "/api/v0/invoice/bulk/dispatch",
        json={"invoiceIds": [invoice.id], "partialPaymentAllowed": True},
        headers=seller.headers,
    )
    assert dispatched.status_code == 200, dispatched.text
    queued = await client.get(f"/api/v0/invoice/{invoice.id}/deliveries", headers=seller.headers)
    assert [(d["channel"], d["status"], d["attempts"]) for d in queued.json()["payload"]] == [
        ("EMAIL", "PENDING", 0),
        ("SMS", "PENDING", 0),
    ]
    assert queued.json()["payload"][0]["nextAttemptOn"] == "2026-12-03 11:30:00"

    settings = worker_settings(database, smtp_port=smtp_server.port, gateway_url=gateway.url)
    await run_pass(database.session_factory, settings, NOW, schedule=schedule_reminders)
    await run_pass(database.session_factory, settings, NOW, schedule=schedule_reminders)

    invoice_view = await client.get(f"/api/v0/invoice/{invoice.id}", headers=seller.headers)
    link = invoice_view.json()["payload"]["paymentLink"]
    [mail] = smtp_server.handler.to(meera)
    assert smtp_server.handler.to(off) == []
    assert mail.message["Subject"] == (
        "Invoice INV-FLOW-1 from Test Traders Pvt Ltd: ₹2,50,000.00 due 31 Dec 2026"
    )
    assert f"Pay online: {link}" in mail.part("plain")
    [sms] = gateway.to(mobile)
    assert "INV-FLOW-1" in sms.json["text"] and link in sms.json["text"]

    sent = await client.get(f"/api/v0/invoice/{invoice.id}/deliveries", headers=seller.headers)
    assert [(d["channel"], d["status"], d["attempts"]) for d in sent.json()["payload"]] == [
        ("EMAIL", "SENT", 1),
        ("SMS", "SENT", 1),
    ]
    commerce = await client.get(f"/invoices/{invoice.id}", headers=seller.headers)
    assert commerce.status_code == 200, commerce.text
    mails_sent = commerce.json()["data"]["mailsSent"]
    assert len(mails_sent) == 1
    assert mails_sent[0]["sentTo"] == meera
    assert mails_sent[0]["sentAt"].startswith("2026-12-03T06:00:")
