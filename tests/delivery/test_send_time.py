"""Messages whose reason is gone by the time they are sent: not sent, and the row says why; a
dispatch e-mail of an invoice paid meanwhile still carries the invoice but says nothing is due."""

from sqlalchemy import select

from khata.delivery.worker import run_pass
from khata.models import Customer, Invoice, KeyContact
from tests.delivery.factories import create_invoice, update_invoice, worker_settings
from tests.delivery.servers import Gateway, SmtpServer
from tests.delivery.test_worker import NOW, deliveries, queue_dispatch, unique_contact
from tests.support import PINNED_TODAY, Database, SellerContext, create_customer


async def _dispatched(
    database: Database, seller: SellerContext, number: str
) -> tuple[Invoice, str]:
    """An invoice of a new customer whose contact takes e-mail and SMS, its dispatch queued at
    NOW (not sent yet): (the invoice, the contact's e-mail)."""
    contact = unique_contact(sms_enabled=True)
    customer_id = await create_customer(database, seller.seller_id, contacts=[contact])
    invoice = await create_invoice(
        database, seller.seller_id, customer_id, invoice_number=number, due_date=PINNED_TODAY
    )
    await queue_dispatch(database, seller.seller_id, customer_id, [invoice.id], NOW)
    return invoice, str(contact["email"])


async def _outcomes(database: Database, seller_id: str) -> dict[str, dict[str, tuple[str, str]]]:
    """Per invoice number, per channel: (status, last error)."""
    async with database.session_factory() as session:
        query = select(Invoice.id, Invoice.invoice_number).where(Invoice.seller_id == seller_id)
        numbers = {invoice_id: number for invoice_id, number in await session.execute(query)}
    found: dict[str, dict[str, tuple[str, str]]] = {}
    for row in await deliveries(database, seller_id):
        number = numbers[row.invoice_ids[0]]
        found.setdefault(number, {})[row.channel] = (row.status, str(row.last_error))
    return found


async def _change_contact(
    database: Database, seller_id: str, customer_id: str, **values: object
) -> None:
    async with database.session_factory() as session, session.begin():
        query = select(KeyContact).where(
            KeyContact.seller_id == seller_id, KeyContact.customer_id == customer_id
        )
        for contact in (await session.execute(query)).scalars():
            for name, value in values.items():
                setattr(contact, name, value)


async def test_messages_whose_reason_is_gone_are_not_sent_and_say_why(
    database: Database,
    seller: SellerContext,
    smtp_server: SmtpServer,
    gateway: Gateway,
) -> None:
    paid, paid_email = await _dispatched(database, seller, "INV-PAID")
    part, part_email = await _dispatched(database, seller, "INV-PART")
    cancelled, cancelled_email = await _dispatched(database, seller, "INV-CANC")
    deleted, _ = await _dispatched(database, seller, "INV-DEL")
    gone_contact, _ = await _dispatched(database, seller, "INV-NOCONTACT")
    no_mail, no_mail_email = await _dispatched(database, seller, "INV-NOMAIL")
    inactive, _ = await _dispatched(database, seller, "INV-INACTIVE")
    # Meanwhile, after queueing and before the worker's pass:
    await update_invoice(
        database, paid, receivable_status="PAID", balance_amount=0, total_received=118_000
    )
    await update_invoice(
        database,
        part,
        receivable_status="PARTIALLY_PAID",
        balance_amount=50_000,
        total_received=68_000,
    )
    await update_invoice(database, cancelled, receivable_status="CANCELLED")
    await update_invoice(database, deleted, deleted=True)
    await _change_contact(database, seller.seller_id, gone_contact.customer_id, deleted=True)
    await _change_contact(database, seller.seller_id, no_mail.customer_id, mail_enabled=False)
    async with database.session_factory() as session, session.begin():
        customer = await session.get(Customer, (seller.seller_id, inactive.customer_id))
        assert customer is not None
        customer.status = "INACTIVE"
    settings = worker_settings(database, smtp_port=smtp_server.port, gateway_url=gateway.url)

    await run_pass(database.session_factory, settings, NOW, schedule=None)

    outcomes = await _outcomes(database, seller.seller_id)
    assert outcomes == {
        # The e-mail carries the tax invoice the buyer needs even when paid; the SMS only asked
        # for payment.
        "INV-PAID": {
            "EMAIL": ("SENT", "None"),
            "SMS": ("CANCELLED", "invoice INV-PAID paid in full"),
        },
        "INV-PART": {"EMAIL": ("SENT", "None"), "SMS": ("SENT", "None")},
        "INV-CANC": {
            "EMAIL": ("CANCELLED", "invoice INV-CANC cancelled"),
            "SMS": ("CANCELLED", "invoice INV-CANC cancelled"),
        },
        "INV-DEL": {
            "EMAIL": ("CANCELLED", "invoice INV-DEL deleted"),
            "SMS": ("CANCELLED", "invoice INV-DEL deleted"),
        },
        "INV-NOCONTACT": {
            "EMAIL": ("CANCELLED", "contact deleted"),
            "SMS": ("CANCELLED", "contact deleted"),
        },
        "INV-NOMAIL": {
            "EMAIL": ("CANCELLED", "contact disabled EMAIL"),
            "SMS": ("SENT", "None"),
        },
        "INV-INACTIVE": {
            "EMAIL": ("CANCELLED", "invoice INV-INACTIVE customer inactive"),
            "SMS": ("CANCELLED", "invoice INV-INACTIVE customer inactive"),
        },
    }
    [paid_mail] = smtp_server.handler.to(paid_email)
    assert paid_mail.message["Subject"] == (
        "Invoice INV-PAID from Test Traders Pvt Ltd: paid in full, nothing due"
    )
    assert "Amount due: nothing (paid in full, thank you)" in paid_mail.part("plain")
    assert "₹0.00" not in paid_mail.part("plain") and "Pay online" not in paid_mail.part("plain")
    assert "Pay now" not in paid_mail.part("html")
    # A part payment since queueing: the amount due as it is when the message leaves.
    [part_mail] = smtp_server.handler.to(part_email)
    assert "₹500.00 due" in part_mail.message["Subject"]
    assert smtp_server.handler.to(cancelled_email) == []
    assert smtp_server.handler.to(no_mail_email) == []
