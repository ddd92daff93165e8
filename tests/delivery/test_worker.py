"""The worker against real servers: dispatch over every enabled channel, signed gateway
calls, retries with backoff, dead letters, the send-time reminder check, and the listing."""

import json
import secrets
from datetime import UTC, date, datetime, timedelta

import httpx
from sqlalchemy import select

from khata.delivery import outbox
from khata.delivery.channels import verify
from khata.delivery.worker import run_pass
from khata.models import Delivery, KeyContact
from khata.reminder.scheduler import schedule_reminders
from tests.delivery.factories import create_invoice, update_invoice, worker_settings
from tests.delivery.servers import Gateway, MailHandler, SmtpServer, free_port, start_smtp
from tests.support import PINNED_TODAY, Database, SellerContext, create_customer

NOW = datetime(2026, 12, 1, 3, 30, tzinfo=UTC)  # 09:00 in Asia/Kolkata


def unique_contact(**channels: bool) -> dict[str, object]:
    tag = secrets.token_hex(4)
    return {
        "name": "Asha Rao",
        "email": f"asha-{tag}@buyer.example",
        "mobile": f"98{secrets.randbelow(10**8):08d}",
        **channels,
    }


async def queue_dispatch(
    database: Database, seller_id: str, customer_id: str, invoice_ids: list[str], now: datetime
) -> list[str]:
    """What the AR dispatch endpoint does: one DISPATCH message per enabled channel."""
    async with database.session_factory() as session, session.begin():
        contacts = (
            await session.execute(
                select(KeyContact).where(
                    KeyContact.seller_id == seller_id, KeyContact.customer_id == customer_id
                )
            )
        ).scalars()
        messages = [
            message
            for contact in contacts
            for message in outbox.channel_messages_for_contact(
                contact,
                kind=outbox.DISPATCH,
                dedupe_prefix=f"dispatch:{invoice_ids[0]}",
                invoice_ids=invoice_ids,
                customer_id=customer_id,
            )
        ]
        return await outbox.queue(session, seller_id=seller_id, messages=messages, now=now)


async def deliveries(database: Database, seller_id: str) -> list[Delivery]:
    async with database.session_factory() as session:
        query = select(Delivery).where(Delivery.seller_id == seller_id).order_by(Delivery.channel)
        return list((await session.execute(query)).scalars())


async def test_dispatch_goes_out_on_every_enabled_channel_once(
    database: Database,
    seller: SellerContext,
    smtp_server: SmtpServer,
    gateway: Gateway,
    client: httpx.AsyncClient,
) -> None:
    contact = unique_contact(mail_enabled=True, sms_enabled=True, whatsapp_enabled=True)
    customer_id = await create_customer(
        database, seller.seller_id, legal_name="Sharma Steel Works", contacts=[contact]
    )
    invoice = await create_invoice(
        database,
        seller.seller_id,
        customer_id,
        invoice_number="INV-7001",
        due_date=date(2026, 12, 31),
        balance_paise=123_456_789,
    )
    queued = await queue_dispatch(database, seller.seller_id, customer_id, [invoice.id], NOW)
    assert len(queued) == 3
    settings = worker_settings(database, smtp_port=smtp_server.port, gateway_url=gateway.url)

    first = await run_pass(database.session_factory, settings, NOW, schedule=schedule_reminders)
    # A later pass finds nothing of ours left to send.
    await run_pass(
        database.session_factory, settings, NOW + timedelta(hours=1), schedule=schedule_reminders
    )

    assert first.sent >= 3
    link = f"http://test/pay/{invoice.payment_link_key}"
    mails = smtp_server.handler.to(str(contact["email"]))
    assert len(mails) == 1
    mail = mails[0]
    assert mail.message["Subject"] == (
        "Invoice INV-7001 from Test Traders Pvt Ltd: ₹12,34,567.89 due 31 Dec 2026"
    )
    assert mail.message["From"] == "Khata Billing <billing@khata.test>"
    assert "Dear Asha Rao," in mail.part("plain")
    assert f"Pay online: {link}" in mail.part("plain")
    assert f'<a href="{link}">Pay now</a>' in mail.part("html")
    assert "₹12,34,567.89" in mail.part("html")

    calls = gateway.to(str(contact["mobile"]))
    assert sorted(c.path for c in calls) == ["/sms", "/whatsapp"]
    for call in calls:
        assert verify(call.raw, "test-webhook-secret", call.headers["X-Khata-Signature"])
        assert not verify(call.raw, "wrong-secret", call.headers["X-Khata-Signature"])
        payload = call.json
        assert payload["channel"] == call.path.strip("/").upper()
        assert payload["invoiceIds"] == [invoice.id]
        assert payload["text"] == (
            f"Test Traders Pvt Ltd: invoice INV-7001 for ₹12,34,567.89 due 31 Dec 2026, "
            f"pay at {link}"
        )
    rows = await deliveries(database, seller.seller_id)
    assert [(r.channel, r.status, r.attempts) for r in rows] == [
        ("EMAIL", "SENT", 1),
        ("SMS", "SENT", 1),
        ("WHATSAPP", "SENT", 1),
    ]
    assert all(r.sent_at is not None and r.sent_at >= NOW for r in rows)
    counts = smtp_server.handler.count_by_delivery() + gateway.count_by_delivery()
    assert [counts[d] for d in queued] == [1, 1, 1]

    response = await client.get(f"/api/v0/invoice/{invoice.id}/deliveries", headers=seller.headers)
    assert response.status_code == 200
    listed = response.json()["payload"]
    assert [(d["channel"], d["status"], d["kind"]) for d in listed] == [
        ("EMAIL", "SENT", "DISPATCH"),
        ("SMS", "SENT", "DISPATCH"),
        ("WHATSAPP", "SENT", "DISPATCH"),
    ]
    email_row = next(d for d in listed if d["channel"] == "EMAIL")
    assert email_row["recipient"] == contact["email"]
    assert email_row["subject"].startswith("Invoice INV-7001")
    assert email_row["attempts"] == 1
    assert email_row["lastError"] is None
    assert email_row["nextAttemptOn"] is None
    assert email_row["createdOn"] == "2026-12-01 09:00:00"
    assert email_row["sentOn"].startswith("2026-12-01 09:00:")


async def test_deliveries_of_another_sellers_invoice_answer_404(
    database: Database,
    seller: SellerContext,
    other_seller: SellerContext,
    client: httpx.AsyncClient,
) -> None:
    customer_id = await create_customer(database, seller.seller_id)
    invoice = await create_invoice(
        database, seller.seller_id, customer_id, invoice_number="INV-1", due_date=date(2026, 12, 1)
    )
    foreign = await client.get(
        f"/api/v0/invoice/{invoice.id}/deliveries", headers=other_seller.headers
    )
    missing = await client.get(f"/api/v0/invoice/{'0' * 24}/deliveries", headers=seller.headers)
    own = await client.get(f"/api/v0/invoice/{invoice.id}/deliveries", headers=seller.headers)

    assert foreign.status_code == 404
    assert foreign.json()["errorResponse"]["errorType"] == "RECORD_NOT_FOUND"
    assert foreign.json()["errorResponse"]["errorMessage"] == f"Invoice not found: {invoice.id}"
    assert missing.status_code == 404
    assert own.status_code == 200
    assert own.json()["payload"] == []


async def test_refusing_smtp_server_is_retried_with_backoff_then_dead(
    database: Database, seller: SellerContext
) -> None:
    handler = MailHandler(reply="554 5.7.1 Message rejected by policy")
    controller, port = start_smtp(handler)
    try:
        contact = unique_contact()
        customer_id = await create_customer(database, seller.seller_id, contacts=[contact])
        invoice = await create_invoice(
            database, seller.seller_id, customer_id, invoice_number="INV-9", due_date=PINNED_TODAY
        )
        [delivery_id] = await queue_dispatch(
            database, seller.seller_id, customer_id, [invoice.id], NOW
        )
        # KHATA_DELIVERY_BACKOFF_SECONDS=45: retries after 90 s, then 180 s.
        settings = worker_settings(database, smtp_port=port, max_attempts=3, backoff_seconds=45)

        moments = []
        at = NOW
        for _ in range(3):
            await run_pass(database.session_factory, settings, at, schedule=schedule_reminders)
            [row] = await deliveries(database, seller.seller_id)
            moments.append((row.status, row.attempts, row.next_attempt_at - at))
            # Not yet due again: a pass just before the next attempt leaves it alone.
            await run_pass(
                database.session_factory,
                settings,
                row.next_attempt_at - timedelta(seconds=1),
                schedule=schedule_reminders,
            )
            at = row.next_attempt_at
        [row] = await deliveries(database, seller.seller_id)
    finally:
        controller.stop()

    assert row.id == delivery_id
    assert [(status, attempts) for status, attempts, _ in moments] == [
        ("PENDING", 1),
        ("PENDING", 2),
        ("DEAD", 3),
    ]
    # Exponential backoff: base * 2**attempts after each failure.
    assert round(moments[0][2].total_seconds()) == 90
    assert round(moments[1][2].total_seconds()) == 180
    assert row.status == "DEAD"
    assert row.sent_at is None
    assert row.last_error == "SMTP 554 5.7.1 Message rejected by policy"
    assert handler.refused == 3


async def test_unreachable_smtp_server_keeps_the_connection_error(
    database: Database, seller: SellerContext
) -> None:
    contact = unique_contact()
    customer_id = await create_customer(database, seller.seller_id, contacts=[contact])
    invoice = await create_invoice(
        database, seller.seller_id, customer_id, invoice_number="INV-10", due_date=PINNED_TODAY
    )
    await queue_dispatch(database, seller.seller_id, customer_id, [invoice.id], NOW)
    settings = worker_settings(database, smtp_port=free_port(), max_attempts=1)

    result = await run_pass(database.session_factory, settings, NOW, schedule=schedule_reminders)

    [row] = await deliveries(database, seller.seller_id)
    assert result.dead >= 1
    assert row.status == "DEAD"
    assert row.attempts == 1
    assert row.last_error is not None
    assert row.last_error.startswith("SMTP ConnectionRefusedError")


async def test_gateway_error_answer_is_retried_and_sent_once(
    database: Database, seller: SellerContext, smtp_server: SmtpServer, gateway: Gateway
) -> None:
    contact = unique_contact(mail_enabled=False, sms_enabled=True)
    customer_id = await create_customer(database, seller.seller_id, contacts=[contact])
    invoice = await create_invoice(
        database, seller.seller_id, customer_id, invoice_number="INV-11", due_date=PINNED_TODAY
    )
    [delivery_id] = await queue_dispatch(database, seller.seller_id, customer_id, [invoice.id], NOW)
    settings = worker_settings(database, smtp_port=smtp_server.port, gateway_url=gateway.url)
    with gateway.lock:
        gateway.answers[:] = [503]

    await run_pass(database.session_factory, settings, NOW, schedule=schedule_reminders)
    [failed] = await deliveries(database, seller.seller_id)
    await run_pass(
        database.session_factory, settings, failed.next_attempt_at, schedule=schedule_reminders
    )
    await run_pass(
        database.session_factory,
        settings,
        failed.next_attempt_at + timedelta(days=1),
        schedule=schedule_reminders,
    )
    [row] = await deliveries(database, seller.seller_id)

    assert failed.status == "PENDING"
    assert failed.last_error == 'gateway answered 503: {"error": "provider down"}'
    assert row.status == "SENT"
    assert row.attempts == 2
    assert row.last_error is None
    assert gateway.count_by_delivery()[delivery_id] == 1
    assert json.loads(gateway.to(str(contact["mobile"]))[0].raw)["channel"] == "SMS"


async def test_reminder_for_an_invoice_paid_after_queueing_is_cancelled_not_sent(
    database: Database, seller: SellerContext, smtp_server: SmtpServer
) -> None:
    contact = unique_contact()
    customer_id = await create_customer(database, seller.seller_id, contacts=[contact])
    invoice = await create_invoice(
        database, seller.seller_id, customer_id, invoice_number="INV-12", due_date=PINNED_TODAY
    )
    async with database.session_factory() as session, session.begin():
        contacts = (
            await session.execute(select(KeyContact).where(KeyContact.customer_id == customer_id))
        ).scalars()
        messages = [
            m
            for c in contacts
            for m in outbox.channel_messages_for_contact(
                c,
                kind=outbox.REMINDER,
                dedupe_prefix=f"test-reminder:{invoice.id}",
                invoice_ids=[invoice.id],
                customer_id=customer_id,
            )
        ]
        await outbox.queue(session, seller_id=seller.seller_id, messages=messages, now=NOW)
    await update_invoice(
        database, invoice, receivable_status="PAID", balance_amount=0, total_received=118_000
    )
    settings = worker_settings(database, smtp_port=smtp_server.port)

    await run_pass(database.session_factory, settings, NOW, schedule=schedule_reminders)

    [row] = await deliveries(database, seller.seller_id)
    assert row.status == "CANCELLED"
    assert row.last_error == "invoice INV-12 paid"
    assert smtp_server.handler.to(str(contact["email"])) == []
