"""Rows the delivery and reminder tests need, written directly (the invoice and customer
endpoints are other domains), plus worker settings pointing at the test servers."""

from datetime import date
from typing import Any

from khata.config import Settings
from khata.kit.ids import new_object_id, new_secret
from khata.models import Invoice, ReminderRule
from tests.support import Database, suite_now


async def create_invoice(
    database: Database,
    seller_id: str,
    customer_id: str,
    *,
    invoice_number: str,
    due_date: date,
    balance_paise: int = 118_000,
    status: str = "SENT_TO_BUYER",
    dispatched: bool = True,
    deleted: bool = False,
) -> Invoice:
    """A dispatched invoice (base + 18% IGST = balance, nothing received) with a payment link."""
    now = suite_now()
    base = balance_paise * 100 // 118
    invoice = Invoice(
        seller_id=seller_id,
        id=new_object_id(),
        entity_id=int(new_object_id()[-6:], 16),
        invoice_number=invoice_number,
        customer_id=customer_id,
        invoice_date=due_date.replace(day=1),
        due_date=due_date,
        base_amount=base,
        cgst=0,
        sgst=0,
        igst=balance_paise - base,
        tds=0,
        gst_exclusive=True,
        net_amount=balance_paise,
        total_received=0,
        balance_amount=balance_paise,
        partial_payment_allowed=True,
        receivable_status=status,
        approval_status="APPROVED",
        dispatched=dispatched,
        dispatched_at=now if dispatched else None,
        payment_link_key=new_secret(12),
        via="API",
        meta_fields=[],
        deleted=deleted,
        version=1,
        created_at=now,
        updated_at=now,
    )
    async with database.session_factory() as session, session.begin():
        session.add(invoice)
    return invoice


async def update_invoice(database: Database, invoice: Invoice, **values: Any) -> None:
    async with database.session_factory() as session, session.begin():
        row = await session.get(Invoice, (invoice.seller_id, invoice.id))
        assert row is not None
        for name, value in values.items():
            setattr(row, name, value)


async def create_rule(
    database: Database,
    seller_id: str,
    customer_id: str,
    *,
    due_date_difference: int,
    reminder_type: str = "ONCE",
    reminder_interval: int | None = None,
    reminder_time: str = "10:00",
    stage: str | None = None,
) -> str:
    now = suite_now()
    rule_id = new_object_id()
    async with database.session_factory() as session, session.begin():
        session.add(
            ReminderRule(
                seller_id=seller_id,
                id=rule_id,
                customer_id=customer_id,
                due_date_difference=due_date_difference,
                reminder_type=reminder_type,
                reminder_interval=reminder_interval,
                reminder_time=reminder_time,
                stage=stage,
                deleted=False,
                created_at=now,
                updated_at=now,
            )
        )
    return rule_id


def worker_settings(
    database: Database,
    *,
    smtp_port: int,
    gateway_url: str | None = None,
    max_attempts: int = 5,
    backoff_seconds: int = 60,
    lease_seconds: int = 600,
) -> Settings:
    return Settings(
        database_url=database.url,
        public_base_url="http://test",
        smtp_host="127.0.0.1",
        smtp_port=smtp_port,
        smtp_from="Khata Billing <billing@khata.test>",
        sms_webhook_url=f"{gateway_url}/sms" if gateway_url else None,
        whatsapp_webhook_url=f"{gateway_url}/whatsapp" if gateway_url else None,
        webhook_secret="test-webhook-secret",
        delivery_max_attempts=max_attempts,
        delivery_backoff_seconds=backoff_seconds,
        delivery_lease_seconds=lease_seconds,
    )
