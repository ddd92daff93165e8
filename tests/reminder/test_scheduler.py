"""Reminders driven by the worker's clock (`run_pass(now=...)`, `khata worker --once --now`):
ONCE and RECURRING rules, catch-up after downtime, stopping on payment, one message per
customer for invoices due together. Messages are counted at a real SMTP server."""

import asyncio
import os
import secrets
import sys
from collections.abc import Iterator
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from khata.delivery.worker import run_pass
from khata.models import Customer, Delivery
from khata.reminder import repository as reminder_repository
from khata.reminder.scheduler import latest_occurrence, schedule_reminders
from tests.delivery.factories import create_invoice, create_rule, update_invoice, worker_settings
from tests.delivery.servers import (
    Gateway,
    ReceivedMail,
    SmtpServer,
    running_gateway,
    running_smtp_server,
)
from tests.support import Database, SellerContext, count_statements, create_customer

IST = ZoneInfo("Asia/Kolkata")


def ist(day: date, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=IST)


@pytest.fixture(scope="module")
def mailbox() -> Iterator[SmtpServer]:
    with running_smtp_server() as server:
        yield server


@pytest.fixture(scope="module")
def sms_gateway() -> Iterator[Gateway]:
    with running_gateway() as gateway:
        yield gateway


class World:
    """One seller's customer with a uniquely addressed contact, and a worker to drive."""

    def __init__(
        self, database: Database, seller: SellerContext, mailbox: SmtpServer, gateway: Gateway
    ) -> None:
        self.database = database
        self.seller = seller
        self.mailbox = mailbox
        self.gateway = gateway
        self.mobiles: dict[str, str] = {}
        self.settings = worker_settings(database, smtp_port=mailbox.port, gateway_url=gateway.url)

    async def customer(self, *, sms: bool = False, name: str = "Sharma Steel Works") -> str:
        email = f"ap-{secrets.token_hex(5)}@buyer.example"
        mobile = f"97{secrets.randbelow(10**8):08d}"
        customer_id = await create_customer(
            self.database,
            self.seller.seller_id,
            legal_name=name,
            contacts=[
                {
                    "name": "Ravi Kumar",
                    "email": email,
                    "mobile": mobile,
                    "sms_enabled": sms,
                }
            ],
        )
        self.emails = getattr(self, "emails", {})
        self.emails[customer_id] = email
        self.mobiles[customer_id] = mobile
        return customer_id

    async def run(self, moment: datetime) -> None:
        await run_pass(
            self.database.session_factory, self.settings, moment, schedule=schedule_reminders
        )

    def mails(self, customer_id: str) -> list[ReceivedMail]:
        return self.mailbox.handler.to(self.emails[customer_id])

    def texts(self, customer_id: str) -> list[list[str]]:
        """The invoice numbers of each SMS the customer's contact received, in order."""
        return [c.json["invoiceNumbers"] for c in self.gateway.to(self.mobiles[customer_id])]


@pytest.fixture
def world(
    database: Database, seller: SellerContext, mailbox: SmtpServer, sms_gateway: Gateway
) -> World:
    return World(database, seller, mailbox, sms_gateway)


async def test_once_before_due_date_sends_at_reminder_time_and_only_once(world: World) -> None:
    due = date(2027, 1, 10)
    customer = await world.customer()
    await create_invoice(
        world.database,
        world.seller.seller_id,
        customer,
        invoice_number="INV-R1",
        due_date=due,
        balance_paise=50_000_00,
    )
    await create_rule(
        world.database,
        world.seller.seller_id,
        customer,
        due_date_difference=-3,
        reminder_time="10:00",
    )

    await world.run(ist(date(2027, 1, 6)))
    await world.run(ist(date(2027, 1, 7), 9, 59))
    before = len(world.mails(customer))
    await world.run(ist(date(2027, 1, 7), 10, 0))
    await world.run(ist(date(2027, 1, 7), 18, 0))
    await world.run(ist(date(2027, 1, 10)))
    await world.run(ist(date(2027, 1, 25)))

    mails = world.mails(customer)
    assert before == 0
    assert len(mails) == 1
    assert mails[0].message["Subject"] == (
        "Payment reminder: invoice INV-R1 (₹50,000.00) due 10 Jan 2027"
    )
    assert "Dear Ravi Kumar," in mails[0].part("plain")
    assert "If you have already paid, please ignore this message." in mails[0].part("plain")


async def test_on_and_after_due_date_with_a_stage_template(world: World) -> None:
    due = date(2027, 2, 10)
    customer = await world.customer()
    await create_invoice(
        world.database, world.seller.seller_id, customer, invoice_number="INV-R2", due_date=due
    )
    await create_rule(world.database, world.seller.seller_id, customer, due_date_difference=0)
    await create_rule(
        world.database,
        world.seller.seller_id,
        customer,
        due_date_difference=5,
        reminder_time="11:30",
        stage="Overdue",
    )

    await world.run(ist(due, 10, 0))
    on_due = [m.message["Subject"] for m in world.mails(customer)]
    await world.run(ist(date(2027, 2, 15), 11, 29))
    await world.run(ist(date(2027, 2, 15), 11, 30))
    await world.run(ist(date(2027, 2, 20)))

    subjects = [m.message["Subject"] for m in world.mails(customer)]
    assert on_due == ["Payment reminder: invoice INV-R2 (₹1,180.00) due 10 Feb 2027"]
    assert subjects == [
        "Payment reminder: invoice INV-R2 (₹1,180.00) due 10 Feb 2027",
        "Overdue: invoice INV-R2 (₹1,180.00) was due 10 Feb 2027",
    ]
    overdue = world.mails(customer)[1]
    assert "Was due:    10 Feb 2027" in overdue.part("plain")
    assert "<strong>past the due date</strong>" in overdue.part("html")


async def test_recurring_repeats_every_interval_from_the_first_occurrence(world: World) -> None:
    due = date(2027, 3, 10)
    customer = await world.customer()
    await create_invoice(
        world.database, world.seller.seller_id, customer, invoice_number="INV-R3", due_date=due
    )
    await create_rule(
        world.database,
        world.seller.seller_id,
        customer,
        due_date_difference=0,
        reminder_type="RECURRING",
        reminder_interval=7,
    )

    for day in range(9, 27):  # daily passes, 9 Mar to 26 Mar, morning and reminder time
        await world.run(ist(date(2027, 3, day), 8, 0))
        await world.run(ist(date(2027, 3, day), 10, 0))

    async with world.database.session_factory() as session:
        rows = (
            await session.execute(
                select(Delivery.context)
                .where(Delivery.seller_id == world.seller.seller_id)
                .order_by(Delivery.created_at)
            )
        ).scalars()
        occurrences = [row["occurrenceDate"] for row in rows if row]
    assert len(world.mails(customer)) == 3
    assert occurrences == ["2027-03-10", "2027-03-17", "2027-03-24"]


async def test_catch_up_after_ten_days_down_sends_one_message(world: World) -> None:
    due = date(2027, 4, 10)
    daily = await world.customer()
    await create_invoice(
        world.database, world.seller.seller_id, daily, invoice_number="INV-R4", due_date=due
    )
    await create_rule(
        world.database,
        world.seller.seller_id,
        daily,
        due_date_difference=0,
        reminder_type="RECURRING",
        reminder_interval=1,
    )
    # A customer with three ONCE rules, all missed while the worker was down.
    several = await world.customer(name="Gupta Textiles")
    await create_invoice(
        world.database, world.seller.seller_id, several, invoice_number="INV-R5", due_date=due
    )
    for difference, stage in ((-3, None), (0, None), (3, "Overdue")):
        await create_rule(
            world.database,
            world.seller.seller_id,
            several,
            due_date_difference=difference,
            stage=stage,
        )

    await world.run(ist(date(2027, 4, 10), 10, 5))
    first_day = len(world.mails(daily))
    # Down from 10 Apr 10:05 to 20 Apr 12:00: ten daily occurrences missed.
    await world.run(ist(date(2027, 4, 20), 12, 0))
    await world.run(ist(date(2027, 4, 20), 15, 0))

    assert first_day == 1
    assert len(world.mails(daily)) == 2
    several_subjects = [m.message["Subject"] for m in world.mails(several)]
    # On 10 Apr the due-day rule (the newest occurrence) went out; after the gap, only the
    # newest missed one (+3 days, overdue), not the backlog.
    assert several_subjects == [
        "Payment reminder: invoice INV-R5 (₹1,180.00) due 10 Apr 2027",
        "Overdue: invoice INV-R5 (₹1,180.00) was due 10 Apr 2027",
    ]


async def test_payment_stops_the_next_reminder(world: World) -> None:
    due = date(2027, 5, 10)
    paid = await world.customer()
    paid_invoice = await create_invoice(
        world.database, world.seller.seller_id, paid, invoice_number="INV-R6", due_date=due
    )
    inactive = await world.customer(name="Inactive Buyer")
    await create_invoice(
        world.database, world.seller.seller_id, inactive, invoice_number="INV-R7", due_date=due
    )
    for customer in (paid, inactive):
        await create_rule(
            world.database,
            world.seller.seller_id,
            customer,
            due_date_difference=0,
            reminder_type="RECURRING",
            reminder_interval=7,
        )

    await world.run(ist(due))
    await update_invoice(
        world.database,
        paid_invoice,
        receivable_status="PAID",
        balance_amount=0,
        total_received=118_000,
    )
    async with world.database.session_factory() as session, session.begin():
        row = await session.get(Customer, (world.seller.seller_id, inactive))
        assert row is not None
        row.status = "INACTIVE"
    await world.run(ist(date(2027, 5, 17)))
    await world.run(ist(date(2027, 5, 24)))

    assert len(world.mails(paid)) == 1
    assert len(world.mails(inactive)) == 1


async def test_invoices_of_one_customer_due_together_share_one_message(world: World) -> None:
    due = date(2027, 6, 10)
    customer = await world.customer(sms=True)
    other = await world.customer(name="Other Buyer")
    for number, balance, day in (
        ("INV-G1", 100_000, due),
        ("INV-G2", 250_050, due),
        ("INV-G3", 70_000, date(2027, 6, 20)),
    ):
        await create_invoice(
            world.database,
            world.seller.seller_id,
            customer,
            invoice_number=number,
            due_date=day,
            balance_paise=balance,
        )
    await create_invoice(
        world.database, world.seller.seller_id, other, invoice_number="INV-G4", due_date=due
    )
    # Not dispatched yet, or deleted: never reminded.
    await create_invoice(
        world.database,
        world.seller.seller_id,
        customer,
        invoice_number="INV-G5",
        due_date=due,
        dispatched=False,
        status="CREATED",
    )
    await create_invoice(
        world.database,
        world.seller.seller_id,
        customer,
        invoice_number="INV-G6",
        due_date=due,
        deleted=True,
    )
    for who in (customer, other):
        await create_rule(world.database, world.seller.seller_id, who, due_date_difference=0)

    await world.run(ist(due))
    await world.run(ist(due, 16, 0))

    [mail] = world.mails(customer)
    assert mail.message["Subject"] == (
        "Payment reminder: 2 invoices (₹3,500.50) from Test Traders Pvt Ltd"
    )
    text = mail.part("plain")
    assert "Invoice INV-G1" in text and "Invoice INV-G2" in text
    assert "INV-G3" not in text and "INV-G4" not in text and "INV-G5" not in text
    assert "INV-G6" not in text
    assert "Total due: ₹3,500.50" in text
    assert len(world.mails(other)) == 1
    async with world.database.session_factory() as session:
        channels = (
            await session.execute(
                select(Delivery.channel, Delivery.status, Delivery.invoice_ids).where(
                    Delivery.seller_id == world.seller.seller_id,
                    Delivery.customer_id == customer,
                )
            )
        ).all()
    assert sorted((c, s, len(ids)) for c, s, ids in channels) == [
        ("EMAIL", "SENT", 2),
        ("SMS", "SENT", 2),
    ]


async def test_an_invoice_dispatched_after_its_group_was_reminded_gets_its_own_reminder(
    world: World,
) -> None:
    due = date(2027, 8, 10)
    customer = await world.customer(sms=True)
    seller_id = world.seller.seller_id
    await create_invoice(world.database, seller_id, customer, invoice_number="INV-A", due_date=due)
    late = await create_invoice(
        world.database,
        seller_id,
        customer,
        invoice_number="INV-B",
        due_date=due,
        balance_paise=236_000,
        dispatched=False,
        status="CREATED",
    )
    await create_rule(world.database, seller_id, customer, due_date_difference=0)

    await world.run(ist(due, 10, 0))
    first = [m.message["Subject"] for m in world.mails(customer)]
    # INV-B is presented to the buyer after INV-A's reminder for the same occurrence went out.
    await update_invoice(world.database, late, dispatched=True, receivable_status="SENT_TO_BUYER")
    await world.run(ist(due, 12, 0))
    await world.run(ist(due, 16, 0))
    await world.run(ist(date(2027, 8, 20)))

    subjects = [m.message["Subject"] for m in world.mails(customer)]
    assert first == ["Payment reminder: invoice INV-A (₹1,180.00) due 10 Aug 2027"]
    assert subjects == [
        "Payment reminder: invoice INV-A (₹1,180.00) due 10 Aug 2027",
        "Payment reminder: invoice INV-B (₹2,360.00) due 10 Aug 2027",
    ]
    assert world.texts(customer) == [["INV-A"], ["INV-B"]]
    async with world.database.session_factory() as session:
        rows = (
            await session.execute(
                select(Delivery.channel, Delivery.occurrence_on, Delivery.status)
                .where(Delivery.seller_id == seller_id, Delivery.customer_id == customer)
                .order_by(Delivery.created_at, Delivery.channel)
            )
        ).all()
    assert [tuple(row) for row in rows] == [
        ("EMAIL", due, "SENT"),
        ("SMS", due, "SENT"),
        ("EMAIL", due, "SENT"),
        ("SMS", due, "SENT"),
    ]


async def test_recurring_late_invoice_catches_up_then_joins_the_group_next_round(
    world: World,
) -> None:
    due = date(2027, 9, 10)
    customer = await world.customer()
    seller_id = world.seller.seller_id
    await create_invoice(world.database, seller_id, customer, invoice_number="INV-RA", due_date=due)
    late = await create_invoice(
        world.database,
        seller_id,
        customer,
        invoice_number="INV-RB",
        due_date=due,
        dispatched=False,
        status="CREATED",
    )
    await create_rule(
        world.database,
        seller_id,
        customer,
        due_date_difference=0,
        reminder_type="RECURRING",
        reminder_interval=7,
    )

    await world.run(ist(due))
    await update_invoice(world.database, late, dispatched=True, receivable_status="SENT_TO_BUYER")
    # The next day INV-RB gets the 10 Sep round it missed; INV-RA is not reminded again.
    await world.run(ist(date(2027, 9, 11)))
    await world.run(ist(date(2027, 9, 12)))
    # From the next round on both go in one message.
    await world.run(ist(date(2027, 9, 17)))
    await world.run(ist(date(2027, 9, 18)))

    subjects = [m.message["Subject"] for m in world.mails(customer)]
    assert subjects == [
        "Payment reminder: invoice INV-RA (₹1,180.00) due 10 Sep 2027",
        "Payment reminder: invoice INV-RB (₹1,180.00) due 10 Sep 2027",
        "Payment reminder: 2 invoices (₹2,360.00) from Test Traders Pvt Ltd",
    ]


async def test_worker_command_runs_one_pass_at_the_given_time(world: World) -> None:
    due = date(2027, 7, 10)
    customer = await world.customer()
    await create_invoice(
        world.database, world.seller.seller_id, customer, invoice_number="INV-C1", due_date=due
    )
    await create_rule(world.database, world.seller.seller_id, customer, due_date_difference=1)
    env = {
        **os.environ,
        "KHATA_DATABASE_URL": world.database.url,
        "KHATA_SMTP_HOST": "127.0.0.1",
        "KHATA_SMTP_PORT": str(world.mailbox.port),
        "KHATA_PUBLIC_BASE_URL": "http://test",
    }
    khata = os.path.join(os.path.dirname(sys.executable), "khata")

    async def worker(now: str) -> str:
        process = await asyncio.create_subprocess_exec(
            khata,
            "worker",
            "--once",
            "--now",
            now,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        output, _ = await process.communicate()
        assert process.returncode == 0, output.decode()
        return output.decode()

    early = await worker("2027-07-11T09:59")
    mails_before = len(world.mails(customer))
    on_time = await worker("2027-07-11T10:00")

    assert "reminders queued" in early
    assert mails_before == 0
    assert len(world.mails(customer)) == 1
    assert "reminders queued: " in on_time
    assert world.mails(customer)[0].message["Subject"] == (
        "Payment reminder: invoice INV-C1 (₹1,180.00) due 10 Jul 2027"
    )


def test_latest_occurrence_rules() -> None:
    def occurrence(now: datetime, **rule: object) -> date | None:
        values: dict[str, object] = {
            "due_date": date(2027, 1, 31),
            "due_date_difference": 0,
            "reminder_type": "ONCE",
            "reminder_interval": None,
            "reminder_time": "10:00",
            "time_zone": "Asia/Kolkata",
        }
        values.update(rule)
        found = latest_occurrence(now=now, **values)  # type: ignore[arg-type]
        return found[0] if found else None

    assert occurrence(ist(date(2027, 1, 31), 9, 59)) is None
    assert occurrence(ist(date(2027, 1, 31), 10, 0)) == date(2027, 1, 31)
    assert occurrence(ist(date(2027, 3, 1)), due_date_difference=-2) == date(2027, 1, 29)
    recurring = {"reminder_type": "RECURRING", "reminder_interval": 10}
    assert occurrence(ist(date(2027, 2, 20), 9, 0), **recurring) == date(2027, 2, 10)
    assert occurrence(ist(date(2027, 2, 20), 10, 0), **recurring) == date(2027, 2, 20)
    # 10:00 in Kolkata is 04:30 UTC: a UTC clock just past it counts.
    utc = ZoneInfo("UTC")
    assert occurrence(datetime(2027, 1, 31, 4, 30, tzinfo=utc)) == date(2027, 1, 31)
    assert occurrence(datetime(2027, 1, 31, 4, 29, tzinfo=utc)) is None


async def _schedule(database: Database, seller_id: str, moment: datetime) -> tuple[int, int]:
    """One scheduler pass at `moment`: (messages queued, SQL statements it took). The queued
    rows are then cancelled: left PENDING (due since 2001) they would head the batches of
    every later test's worker pass, sent to whatever servers that test runs."""
    with count_statements(database.engine) as counter:
        async with database.session_factory() as session, session.begin():
            queued = await schedule_reminders(session, now=moment)
    async with database.session_factory() as session, session.begin():
        await session.execute(
            update(Delivery)
            .where(Delivery.seller_id == seller_id, Delivery.status == "PENDING")
            .values(status="CANCELLED")
        )
    return queued, counter.count


async def test_scheduler_statements_stay_constant_from_1_to_200_due_invoices(
    world: World,
) -> None:
    # Dates of 2001: other tests' invoices (due years later) are left out by the SQL date
    # filter, so only this seller's reminders are queued here.
    seller_id = world.seller.seller_id
    lone = await world.customer(sms=True)
    lone_invoice = await create_invoice(
        world.database, seller_id, lone, invoice_number="INV-S0", due_date=date(2001, 3, 10)
    )
    await create_rule(world.database, seller_id, lone, due_date_difference=0)
    one = await _schedule(world.database, seller_id, ist(date(2001, 3, 10)))
    await update_invoice(world.database, lone_invoice, receivable_status="PAID", balance_amount=0)

    for n in range(20):
        customer = await world.customer(sms=True)
        await create_rule(world.database, seller_id, customer, due_date_difference=0)
        for k in range(10):
            await create_invoice(
                world.database,
                seller_id,
                customer,
                invoice_number=f"INV-S{n}-{k}",
                due_date=date(2001, 4, 10 + k % 2),
            )
    many = await _schedule(world.database, seller_id, ist(date(2001, 4, 11)))

    # Each customer: one message per channel for the invoices due on the 10th, one for the 11th.
    assert one[0] == 2
    assert many[0] == 20 * 2 * 2
    assert one[1] == many[1]
    # candidates, contacts, the occurrence claims, the batched insert, its invoice links
    assert many[1] <= 5


async def test_scheduler_reads_only_invoices_whose_first_occurrence_has_come(
    world: World,
) -> None:
    seller_id = world.seller.seller_id
    customer = await world.customer()
    await create_rule(world.database, seller_id, customer, due_date_difference=-5)
    due = {}
    for number, day in (("INV-F1", date(2002, 5, 15)), ("INV-F2", date(2002, 5, 16))):
        invoice = await create_invoice(
            world.database, seller_id, customer, invoice_number=number, due_date=day
        )
        due[invoice.id] = number
    moment = ist(date(2002, 5, 10), 10, 0)  # the first occurrence of INV-F1's rule

    async with world.database.session_factory() as session:
        read = [
            due[c.invoice_id]
            for c in await reminder_repository.due_candidates(session, moment)
            if c.invoice_id in due
        ]
    queued, _ = await _schedule(world.database, seller_id, moment)

    # INV-F2's occurrence (11 May) is more than a day ahead of every time zone: not read.
    assert read == ["INV-F1"]
    assert queued == 1
