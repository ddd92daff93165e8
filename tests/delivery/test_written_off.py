"""A written-off invoice leaves the reminders: a reminder queued before the write-off is
cancelled at send time, saying why, and nothing reaches the buyer."""

import httpx
from sqlalchemy import select

from khata.delivery import outbox
from khata.delivery.worker import run_pass
from khata.models import KeyContact
from khata.reminder.scheduler import schedule_reminders
from tests.credit.support import write_off
from tests.delivery.factories import create_invoice, worker_settings
from tests.delivery.servers import SmtpServer
from tests.delivery.test_worker import NOW, deliveries, unique_contact
from tests.support import PINNED_TODAY, Database, SellerContext, create_customer


async def test_reminder_of_an_invoice_written_off_after_queueing_is_cancelled(
    client: httpx.AsyncClient,
    database: Database,
    seller: SellerContext,
    smtp_server: SmtpServer,
) -> None:
    contact = unique_contact()
    customer_id = await create_customer(database, seller.seller_id, contacts=[contact])
    invoice = await create_invoice(
        database, seller.seller_id, customer_id, invoice_number="INV-WO", due_date=PINNED_TODAY
    )
    async with database.session_factory() as session, session.begin():
        contacts = (
            await session.execute(select(KeyContact).where(KeyContact.customer_id == customer_id))
        ).scalars()
        messages = [
            message
            for c in contacts
            for message in outbox.channel_messages_for_contact(
                c,
                kind=outbox.REMINDER,
                dedupe_prefix=f"test-reminder:{invoice.id}",
                invoice_ids=[invoice.id],
                customer_id=customer_id,
            )
        ]
        await outbox.queue(session, seller_id=seller.seller_id, messages=messages, now=NOW)
    written = await write_off(client, seller, invoice.id)
    assert written.status_code == 200, written.text

    settings = worker_settings(database, smtp_port=smtp_server.port)
    await run_pass(database.session_factory, settings, NOW, schedule=schedule_reminders)

    [row] = await deliveries(database, seller.seller_id)
    assert row.status == "CANCELLED"
    assert row.last_error == "invoice INV-WO written off"
    assert smtp_server.handler.to(str(contact["email"])) == []
