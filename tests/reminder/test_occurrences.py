"""Each (invoice, rule, occurrence) is claimed once: two schedulers racing, or an invoice paid
between their reads, never put an invoice in two reminders of one occurrence."""

import asyncio
import secrets
from collections.abc import Iterator
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from khata.db import create_engine, create_session_factory
from khata.delivery.worker import run_pass
from khata.models import Delivery, Invoice, ReminderOccurrence
from khata.reminder.scheduler import ReminderPlan, plan_reminders, queue_reminders
from tests.delivery.factories import create_invoice, create_rule, update_invoice, worker_settings
from tests.delivery.servers import SmtpServer, running_smtp_server
from tests.support import Database, SellerContext, create_customer

IST = ZoneInfo("Asia/Kolkata")
# Years before every other test's invoices (which the scheduler's date filter then leaves out).
DUE = date(2003, 2, 10)
MOMENT = datetime(2003, 2, 10, 10, 0, tzinfo=IST)


async def _customer_with_invoices(
    database: Database, seller_id: str, numbers: list[str], *, contacts: int = 1
) -> tuple[list[str], list[Invoice]]:
    """A customer with `contacts` e-mail contacts, a due-day rule and one invoice per number
    due on DUE: (the contacts' e-mails, the invoices)."""
    emails = [f"ap-{secrets.token_hex(5)}@buyer.example" for _ in range(contacts)]
    customer_id = await create_customer(
        database,
        seller_id,
        contacts=[{"name": "Ravi Kumar", "email": email} for email in emails],
    )
    await create_rule(database, seller_id, customer_id, due_date_difference=0)
    invoices = [
        await create_invoice(database, seller_id, customer_id, invoice_number=n, due_date=DUE)
        for n in numbers
    ]
    return emails, invoices


async def _plan(database: Database, seller_id: str) -> ReminderPlan:
    """One scheduler's read, kept to this test's seller (the scheduler reads every seller)."""
    async with database.session_factory() as session, session.begin():
        plan = await plan_reminders(session, now=MOMENT)
    return ReminderPlan({k: v for k, v in plan.groups.items() if k[0] == seller_id}, plan.contacts)


async def _queue(database: Database, plan: ReminderPlan) -> int:
    async with database.session_factory() as session, session.begin():
        return await queue_reminders(session, plan, now=MOMENT)


@pytest.fixture(scope="module")
def smtp_server() -> Iterator[SmtpServer]:
    with running_smtp_server() as server:
        yield server


def _listed(text: str, numbers: list[str]) -> list[str]:
    return [number for number in numbers if number in text]


@pytest.mark.parametrize("first", ["before the payment", "after the payment"])
async def test_an_invoice_paid_between_two_schedulers_reads_is_reminded_once(
    database: Database, seller: SellerContext, smtp_server: SmtpServer, first: str
) -> None:
    tag = secrets.token_hex(2).upper()
    paid_number, open_number = f"INV-X{tag}", f"INV-Y{tag}"
    [email], [paid, _open] = await _customer_with_invoices(
        database, seller.seller_id, [paid_number, open_number]
    )
    # One scheduler reads both invoices due; the invoice is paid; the other reads only one.
    before = await _plan(database, seller.seller_id)
    await update_invoice(
        database, paid, receivable_status="PAID", balance_amount=0, total_received=118_000
    )
    after = await _plan(database, seller.seller_id)
    plans = [before, after] if first == "before the payment" else [after, before]
    queued = [await _queue(database, plan) for plan in plans]
    await run_pass(
        database.session_factory,
        worker_settings(database, smtp_port=smtp_server.port),
        MOMENT,
        schedule=None,
    )

    mails = smtp_server.handler.to(email)
    async with database.session_factory() as session:
        claims = await session.scalar(
            select(func.count())
            .select_from(ReminderOccurrence)
            .where(ReminderOccurrence.seller_id == seller.seller_id)
        )
        rows = (
            await session.execute(
                select(Delivery.status, Delivery.last_error).where(
                    Delivery.seller_id == seller.seller_id
                )
            )
        ).all()
    # The customer hears once of the open invoice, never of the paid one.
    assert len(mails) == 1
    assert _listed(mails[0].part("plain"), [paid_number, open_number]) == [open_number]
    assert claims == 2
    if first == "before the payment":
        # The first scheduler claimed both; the second found its invoice taken: nothing queued.
        assert queued == [1, 0]
        assert [tuple(row) for row in rows] == [("SENT", None)]
    else:
        # The second claimed only the paid invoice; its message says why it did not go.
        assert queued == [1, 1]
        assert sorted(tuple(row) for row in rows) == [
            ("CANCELLED", f"invoice {paid_number} paid"),
            ("SENT", None),
        ]


async def test_two_schedulers_at_once_queue_each_reminder_once(
    database: Database, seller: SellerContext
) -> None:
    numbers = [f"INV-T{n:02d}-{secrets.token_hex(2)}" for n in range(30)]
    _emails, invoices = await _customer_with_invoices(
        database, seller.seller_id, numbers, contacts=2
    )
    # Both read before either writes, then both claim and queue at once (own connections).
    plans = [await _plan(database, seller.seller_id), await _plan(database, seller.seller_id)]
    engines = [create_engine(database.url), create_engine(database.url)]

    async def queue_with(index: int) -> int:
        factory = create_session_factory(engines[index])
        async with factory() as session, session.begin():
            queued = await queue_reminders(session, plans[index], now=MOMENT)
            await asyncio.sleep(0.05)  # hold the transaction open while the other one runs
            return queued

    try:
        queued = await asyncio.gather(queue_with(0), queue_with(1))
    finally:
        for engine in engines:
            await engine.dispose()

    async with database.session_factory() as session:
        rows = (
            await session.execute(
                select(Delivery.recipient, Delivery.invoice_ids).where(
                    Delivery.seller_id == seller.seller_id
                )
            )
        ).all()
    assert sorted(queued) == [0, 2]
    # One reminder per contact, each listing all 30 invoices.
    assert len(rows) == 2
    assert [sorted(ids) for _to, ids in rows] == [sorted(i.id for i in invoices)] * 2
