"""A worker that dies between "the server accepted it" and "SENT recorded": the message goes
out again after the lease (KHATA_DELIVERY_LEASE_SECONDS), carrying the same ids so the
receiver can drop the repeat. And SMTP settings the server cannot honour fail the send."""

import asyncio
import contextlib
import os
from datetime import timedelta

import pytest

from khata.delivery.worker import run_pass
from khata.reminder.scheduler import schedule_reminders
from tests.delivery.factories import create_invoice, worker_settings
from tests.delivery.servers import MailHandler, SmtpServer, running_gateway, start_smtp
from tests.delivery.test_worker import NOW, deliveries, queue_dispatch, unique_contact
from tests.support import Database, SellerContext, create_customer


async def _wait_for(condition: object, seconds: float = 15.0) -> None:
    assert callable(condition)
    for _ in range(int(seconds / 0.05)):
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the servers never received the messages")


@pytest.mark.timing
async def test_worker_dying_after_acceptance_resends_after_the_lease_with_the_same_ids(
    database: Database, seller: SellerContext
) -> None:
    # Both servers keep the message at once but answer only 30 s later: the worker is killed
    # in between, so it never records SENT. (3 s was not enough on a loaded machine: the SMS
    # was answered and recorded before the e-mail, its PDF rendered first, even arrived.)
    handler = MailHandler(hold_seconds=30.0)
    controller, port = start_smtp(handler)
    try:
        with running_gateway() as gateway:
            gateway.hold_seconds = 30.0
            contact = unique_contact(sms_enabled=True)
            email, mobile = str(contact["email"]), str(contact["mobile"])
            customer_id = await create_customer(database, seller.seller_id, contacts=[contact])
            invoice = await create_invoice(
                database,
                seller.seller_id,
                customer_id,
                invoice_number="INV-CRASH",
                due_date=NOW.date(),
            )
            email_id, sms_id = await queue_dispatch(
                database, seller.seller_id, customer_id, [invoice.id], NOW
            )
            settings = worker_settings(
                database, smtp_port=port, gateway_url=gateway.url, lease_seconds=300
            )

            # The clock pinned at NOW: the lease (and its renewals) end at NOW + 300 s exactly.
            worker = asyncio.create_task(
                run_pass(
                    database.session_factory,
                    settings,
                    NOW,
                    schedule=schedule_reminders,
                    clock=lambda: NOW,
                )
            )
            await _wait_for(lambda: handler.to(email) and gateway.to(mobile))
            worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await worker
            leased = await deliveries(database, seller.seller_id)
            handler.hold_seconds = gateway.hold_seconds = 0.0

            await run_pass(
                database.session_factory,
                settings,
                NOW + timedelta(seconds=299),
                schedule=schedule_reminders,
            )
            within_lease = (len(handler.to(email)), len(gateway.to(mobile)))
            await run_pass(
                database.session_factory,
                settings,
                NOW + timedelta(seconds=300),
                schedule=schedule_reminders,
            )
            mails, calls = handler.to(email), gateway.to(mobile)
            rows = await deliveries(database, seller.seller_id)
    finally:
        controller.stop()

    assert [(r.id, r.status, r.attempts, r.next_attempt_at) for r in leased] == [
        (email_id, "PENDING", 1, NOW + timedelta(seconds=300)),
        (sms_id, "PENDING", 1, NOW + timedelta(seconds=300)),
    ]
    # Claimed by this process, first attempt; the repeat is another claim (attempt 2).
    assert {str(r.claim_token).split("/")[1] for r in leased} == {str(os.getpid())}
    assert {str(r.claim_token).rpartition("#")[2] for r in leased} == {"1"}
    assert {str(r.claim_token).rpartition("#")[2] for r in rows} == {"2"}
    assert within_lease == (1, 1)
    assert [(r.status, r.attempts) for r in rows] == [("SENT", 2), ("SENT", 2)]
    # At least once, and the repeat is recognisable: same Message-ID, same delivery id.
    assert len(mails) == 2
    assert [m.message["Message-ID"] for m in mails] == [
        f"<{email_id}.{seller.seller_id}@khata.test>"
    ] * 2
    assert [m.delivery_id for m in mails] == [email_id, email_id]
    assert len(calls) == 2
    assert [c.json["deliveryId"] for c in calls] == [sms_id, sms_id]
    assert [c.headers["X-Khata-Delivery-Id"] for c in calls] == [sms_id, sms_id]
    assert [c.headers["Idempotency-Key"] for c in calls] == [sms_id, sms_id]


async def test_starttls_or_login_the_server_does_not_offer_fails_instead_of_sending_in_clear(
    database: Database, seller: SellerContext, smtp_server: SmtpServer
) -> None:
    settings = worker_settings(database, smtp_port=smtp_server.port, max_attempts=1)
    outcomes = []
    for number, changes in (
        ("INV-TLS", {"smtp_starttls": True}),
        ("INV-AUTH", {"smtp_user": "billing", "smtp_password": "secret"}),
    ):
        contact = unique_contact()
        customer_id = await create_customer(database, seller.seller_id, contacts=[contact])
        invoice = await create_invoice(
            database, seller.seller_id, customer_id, invoice_number=number, due_date=NOW.date()
        )
        [delivery_id] = await queue_dispatch(
            database, seller.seller_id, customer_id, [invoice.id], NOW
        )
        await run_pass(
            database.session_factory,
            settings.model_copy(update=changes),
            NOW,
            schedule=schedule_reminders,
        )
        [row] = [r for r in await deliveries(database, seller.seller_id) if r.id == delivery_id]
        outcomes.append((row.status, row.last_error, smtp_server.handler.to(str(contact["email"]))))

    assert outcomes == [
        ("DEAD", "SMTP SMTPNotSupportedError: STARTTLS extension not supported by server.", []),
        ("DEAD", "SMTP SMTPNotSupportedError: SMTP AUTH extension not supported by server.", []),
    ]
