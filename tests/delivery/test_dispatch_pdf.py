"""The dispatch e-mail carries the invoice's tax invoice PDF, rendered by the worker when it
sends (the invoice as it is then); text messages and reminders carry none; a message whose PDF
cannot be made still goes, with the link, and says so in its lastError."""

import io
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime
from email.message import EmailMessage

import httpx
import pytest
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from khata.delivery import outbox
from khata.delivery import worker as worker_module
from khata.delivery.worker import InvoiceKey, run_pass
from khata.document import TaxInvoice
from khata.invoice.document import load_tax_invoices
from khata.models import KeyContact
from khata.reminder.scheduler import schedule_reminders
from tests.delivery.factories import worker_settings
from tests.delivery.servers import Gateway, SmtpServer
from tests.delivery.test_worker import unique_contact
from tests.document import rule46
from tests.invoice.ar_factories import create_invoice, dispatch
from tests.invoice.test_pdf_endpoints import set_profile
from tests.support import Clock, Database, SellerContext, create_customer

NOW = datetime(2026, 12, 3, 6, 0, tzinfo=UTC)


def pdf_attachments(message: EmailMessage) -> list[tuple[str | None, bytes]]:
    found = []
    for part in message.iter_attachments():
        assert isinstance(part, EmailMessage)
        assert part.get_content_type() == "application/pdf"
        found.append((part.get_filename(), part.get_payload(decode=True)))
    return found


def text_of(pdf: bytes) -> str:
    pages = PdfReader(io.BytesIO(pdf)).pages
    return rule46.normalised(" ".join(page.extract_text() for page in pages))


async def _dispatched(
    client: httpx.AsyncClient, seller: SellerContext, database: Database, number: str
) -> tuple[dict[str, object], str]:
    """An AR invoice (₹1,180.00) of a customer with e-mail and SMS on, dispatched; and the
    contact's e-mail address."""
    contact = unique_contact(sms_enabled=True)
    customer_id = await create_customer(database, seller.seller_id, contacts=[contact])
    invoice = await create_invoice(client, seller, customer_id, invoiceNumber=number)
    await dispatch(client, seller, invoice["invoiceId"])
    return invoice, str(contact["email"])


async def test_dispatch_email_attaches_the_pdf_of_the_invoice_as_it_is_when_sent(
    client: httpx.AsyncClient,
    seller: SellerContext,
    database: Database,
    smtp_server: SmtpServer,
    gateway: Gateway,
    clock: Clock,
) -> None:
    clock.fixed = NOW
    await set_profile(client, seller, address="12 MG Road, Bengaluru", upiId="tt@okaxis")
    number = f"AR-MAIL-{secrets.token_hex(3).upper()}"
    invoice, email = await _dispatched(client, seller, database, number)
    # Changed after the dispatch was queued: the buyer gets the invoice as it is at sending.
    changed = await client.patch(
        f"/api/v0/invoice/{invoice['invoiceId']}",
        json={"baseAmount": 2000, "description": "Revised annual maintenance"},
        headers=seller.headers,
    )
    assert changed.status_code == 200, changed.text

    settings = worker_settings(database, smtp_port=smtp_server.port, gateway_url=gateway.url)
    result = await run_pass(
        database.session_factory,
        settings,
        NOW,
        schedule=schedule_reminders,
        attach=load_tax_invoices,
    )
    assert (result.sent, result.failed) == (2, 0), result.errors

    [mail] = smtp_server.handler.to(email)
    shown = await client.get(f"/api/v0/invoice/{invoice['invoiceId']}", headers=seller.headers)
    assert f"Pay online: {shown.json()['payload']['paymentLink']}" in mail.part("plain")
    [(file_name, pdf)] = pdf_attachments(mail.message)
    assert file_name == f"{number}.pdf"
    text = text_of(pdf)
    assert number in text
    assert "₹2,180.00" in text and "Revised annual maintenance" in text
    assert "1,180.00" not in text
    assert "12 MG Road, Bengaluru" in text and "UPI ID: tt@okaxis" in text
    # The same bytes as the download: one renderer, one invoice state.
    download = await client.get(
        f"/api/v0/invoice/{invoice['invoiceId']}/pdf", headers=seller.headers
    )
    assert download.content == pdf
    # The text message has the link and no file.
    [sms] = [call for call in gateway.calls if number in call.json["text"]]
    assert "attachments" not in sms.json and b"%PDF" not in sms.raw


async def test_reminder_emails_carry_no_pdf(
    client: httpx.AsyncClient,
    seller: SellerContext,
    database: Database,
    smtp_server: SmtpServer,
    clock: Clock,
) -> None:
    clock.fixed = NOW
    contact = unique_contact()
    customer_id = await create_customer(database, seller.seller_id, contacts=[contact])
    invoice = await create_invoice(client, seller, customer_id, dispatchNow=True)
    async with database.session_factory() as session, session.begin():
        [key_contact] = (
            await session.scalars(select(KeyContact).where(KeyContact.customer_id == customer_id))
        ).all()
        messages = outbox.channel_messages_for_contact(
            key_contact,
            kind=outbox.REMINDER,
            dedupe_prefix=f"test-reminder:{invoice['invoiceId']}",
            invoice_ids=[invoice["invoiceId"]],
            customer_id=customer_id,
        )
        await outbox.queue(session, seller_id=seller.seller_id, messages=messages, now=NOW)
    settings = worker_settings(database, smtp_port=smtp_server.port)
    await run_pass(database.session_factory, settings, NOW, schedule=None, attach=load_tax_invoices)

    dispatch_subject = f"Invoice {invoice['invoiceNumber']} from Test Traders Pvt Ltd"
    mails = {
        str(mail.message["Subject"]).split(":")[0]: mail
        for mail in smtp_server.handler.to(str(contact["email"]))
    }
    assert sorted(mails) == [dispatch_subject, "Payment reminder"]
    assert len(pdf_attachments(mails[dispatch_subject].message)) == 1
    assert pdf_attachments(mails["Payment reminder"].message) == []


async def _failing_loader(
    session: AsyncSession, keys: Sequence[InvoiceKey]
) -> dict[InvoiceKey, TaxInvoice]:
    raise RuntimeError("document store unavailable")


def _failing_render(doc: TaxInvoice) -> bytes:
    raise ValueError(f"cannot lay out {doc.invoice_number}")


@pytest.mark.parametrize("broken", ["reading", "rendering"])
async def test_a_dispatch_whose_pdf_cannot_be_made_is_sent_without_it_and_says_so(
    broken: str,
    client: httpx.AsyncClient,
    seller: SellerContext,
    database: Database,
    smtp_server: SmtpServer,
    gateway: Gateway,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock.fixed = NOW
    number = f"AR-BROKEN-{secrets.token_hex(3).upper()}"
    invoice, email = await _dispatched(client, seller, database, number)
    attach = load_tax_invoices
    if broken == "reading":
        attach = _failing_loader
    else:
        monkeypatch.setattr(worker_module, "render_pdf", _failing_render)
    settings = worker_settings(database, smtp_port=smtp_server.port, gateway_url=gateway.url)
    # Rendered in a thread of this process, where the broken renderer is patched in.
    settings = settings.model_copy(update={"pdf_render_processes": 0})

    result = await run_pass(
        database.session_factory, settings, NOW, schedule=schedule_reminders, attach=attach
    )

    assert (result.sent, result.failed, result.dead) == (2, 0, 0)
    [mail] = smtp_server.handler.to(email)
    assert number in str(mail.message["Subject"])
    assert pdf_attachments(mail.message) == []
    listed = await client.get(
        f"/api/v0/invoice/{invoice['invoiceId']}/deliveries", headers=seller.headers
    )
    by_channel = {d["channel"]: d for d in listed.json()["payload"]}
    assert by_channel["EMAIL"]["status"] == "SENT"
    reason = "document store unavailable" if broken == "reading" else f"cannot lay out {number}"
    assert by_channel["EMAIL"]["lastError"].startswith("sent without the invoice PDF (")
    assert reason in by_channel["EMAIL"]["lastError"]
    assert by_channel["SMS"] == {**by_channel["SMS"], "status": "SENT", "lastError": None}


async def test_two_contacts_get_the_same_pdf_rendered_once(
    client: httpx.AsyncClient,
    seller: SellerContext,
    database: Database,
    smtp_server: SmtpServer,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock.fixed = NOW
    first, second = unique_contact(), unique_contact()
    customer_id = await create_customer(database, seller.seller_id, contacts=[first, second])
    invoice = await create_invoice(client, seller, customer_id)
    await dispatch(client, seller, invoice["invoiceId"])
    rendered: list[str] = []
    render = worker_module.render_pdf

    def counting(doc: TaxInvoice) -> bytes:
        rendered.append(doc.invoice_number)
        return render(doc)

    monkeypatch.setattr(worker_module, "render_pdf", counting)
    # Rendered in a thread of this process, where the counting renderer is patched in.
    settings = worker_settings(database, smtp_port=smtp_server.port).model_copy(
        update={"pdf_render_processes": 0}
    )
    result = await run_pass(
        database.session_factory, settings, NOW, schedule=None, attach=load_tax_invoices
    )

    assert result.sent == 2
    [one] = smtp_server.handler.to(str(first["email"]))
    [other] = smtp_server.handler.to(str(second["email"]))
    assert pdf_attachments(one.message) == pdf_attachments(other.message) != []
    assert rendered == [invoice["invoiceNumber"]]
