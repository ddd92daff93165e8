"""What the messages say: customer-provided text escaped in HTML, every invoice of a grouped
reminder listed with number, amount and due date, and a message that cannot be rendered
failing on its own instead of stopping every other message."""

import secrets
from datetime import UTC, date, datetime

from khata.delivery import outbox
from khata.delivery.worker import run_pass
from khata.reminder.scheduler import schedule_reminders
from tests.delivery.factories import create_invoice, create_rule, worker_settings
from tests.delivery.servers import SmtpServer
from tests.delivery.test_worker import deliveries
from tests.support import Database, SellerContext, create_customer

NOW = datetime(2026, 12, 1, 3, 30, tzinfo=UTC)  # 09:00 in Asia/Kolkata


async def test_html_escapes_customer_text_and_a_grouped_reminder_lists_every_invoice(
    database: Database, seller: SellerContext, smtp_server: SmtpServer
) -> None:
    address = f"ap-{secrets.token_hex(5)}@buyer.example"
    customer_id = await create_customer(
        database,
        seller.seller_id,
        legal_name="<script>alert('x')</script> & Sons",
        contacts=[{"name": None, "email": address}],
    )
    for number, paise in (("INV-<b>1</b>", 1_00_001), ("INV-2", 2_50_000_00)):
        await create_invoice(
            database,
            seller.seller_id,
            customer_id,
            invoice_number=number,
            due_date=date(2026, 11, 30),
            balance_paise=paise,
        )
    await create_rule(
        database, seller.seller_id, customer_id, due_date_difference=1, reminder_time="09:00"
    )
    settings = worker_settings(database, smtp_port=smtp_server.port)

    await run_pass(database.session_factory, settings, NOW, schedule=schedule_reminders)

    [mail] = smtp_server.handler.to(address)
    html, text = mail.part("html"), mail.part("plain").replace("\r\n", "\n")
    assert "<script>" not in html and "<b>1</b>" not in html
    assert "Dear &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; Sons," in html
    assert '<td>INV-&lt;b&gt;1&lt;/b&gt;</td><td align="right">₹1,000.01</td>' in html
    assert '<td>INV-2</td><td align="right">₹2,50,000.00</td>' in html
    assert html.count("<td>30 Nov 2026</td>") == 2
    assert "<strong>₹2,51,000.01</strong>" in html
    # Plain text carries the names verbatim; it is not HTML.
    assert "Dear <script>alert('x')</script> & Sons," in text
    for number, amount in (("INV-<b>1</b>", "₹1,000.01"), ("INV-2", "₹2,50,000.00")):
        assert f"Invoice {number}\n  Amount due: {amount}\n  Due date:   30 Nov 2026\n" in text
    assert "Total due: ₹2,51,000.01" in text
    assert "Test Traders Pvt Ltd" in text and text.count("Pay online: http://test/pay/") == 2


async def test_a_message_that_cannot_be_rendered_fails_alone(
    database: Database, seller: SellerContext, smtp_server: SmtpServer
) -> None:
    address = f"ok-{secrets.token_hex(5)}@buyer.example"
    customer_id = await create_customer(database, seller.seller_id)
    invoice = await create_invoice(
        database, seller.seller_id, customer_id, invoice_number="INV-T1", due_date=NOW.date()
    )
    messages = [
        outbox.OutgoingMessage(
            kind=kind,
            channel=outbox.EMAIL,
            recipient=address,
            dedupe_key=f"template-test:{kind}",
            invoice_ids=[invoice.id],
            customer_id=customer_id,
        )
        # No template exists for kind STATEMENT.
        for kind in ("STATEMENT", outbox.DISPATCH)
    ]
    async with database.session_factory() as session, session.begin():
        await outbox.queue(session, seller_id=seller.seller_id, messages=messages, now=NOW)
    settings = worker_settings(database, smtp_port=smtp_server.port, max_attempts=1)

    await run_pass(database.session_factory, settings, NOW, schedule=schedule_reminders)

    rows = {row.kind: row for row in await deliveries(database, seller.seller_id)}
    assert rows["DISPATCH"].status == "SENT"
    assert rows["STATEMENT"].status == "DEAD"
    assert rows["STATEMENT"].last_error == "template TemplateNotFound: email/statement.subject.j2"
    assert [m.message["Subject"] for m in smtp_server.handler.to(address)] == [
        "Invoice INV-T1 from Test Traders Pvt Ltd: ₹1,180.00 due 01 Dec 2026"
    ]
