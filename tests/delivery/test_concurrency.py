"""Two workers at once over 1,000 due messages: each is received exactly once, and a send
that failed under load is retried without ever becoming a duplicate."""

import asyncio
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from khata.db import create_engine, create_session_factory
from khata.delivery import outbox
from khata.delivery.worker import PassResult, run_pass
from khata.models import Delivery, DeliveryInvoice
from khata.reminder.scheduler import schedule_reminders
from tests.delivery.factories import create_invoice, worker_settings
from tests.delivery.servers import Gateway, SmtpServer
from tests.support import PINNED_TODAY, Database, SellerContext, create_customer

NOW = datetime(2026, 12, 2, 4, 0, tzinfo=UTC)
CHANNELS = (("EMAIL", 400), ("SMS", 300), ("WHATSAPP", 300))


async def test_two_workers_send_each_of_1000_messages_exactly_once(
    database: Database,
    seller: SellerContext,
    smtp_server: SmtpServer,
    gateway: Gateway,
) -> None:
    customer_id = await create_customer(database, seller.seller_id)
    invoice = await create_invoice(
        database, seller.seller_id, customer_id, invoice_number="INV-1000", due_date=PINNED_TODAY
    )
    messages = [
        outbox.OutgoingMessage(
            kind=outbox.DISPATCH,
            channel=channel,
            recipient=f"buyer-{n}@bulk.example" if channel == "EMAIL" else f"9{n:09d}",
            dedupe_key=f"load:{channel}:{n}",
            invoice_ids=[invoice.id],
            customer_id=customer_id,
        )
        for channel, count in CHANNELS
        for n in range(count)
    ]
    async with database.session_factory() as session, session.begin():
        ids = await outbox.queue(session, seller_id=seller.seller_id, messages=messages, now=NOW)
    assert len(ids) == 1000
    # Attempts to spare: on a busy machine a send can fail (the worker then reschedules it);
    # the test is about those failures never turning into duplicates, not about dead rows.
    settings = worker_settings(
        database, smtp_port=smtp_server.port, gateway_url=gateway.url, max_attempts=20
    )
    # Each worker has its own engine (its own connections), like two processes would.
    engines = [create_engine(database.url), create_engine(database.url)]
    rounds: list[list[PassResult]] = []
    moment = NOW
    # The provider refuses the first 20 gateway calls: retries happen on every run, not only
    # when the machine is busy.
    gateway.answers = [503] * 20
    try:
        started = time.monotonic()
        # Passes at a fixed `now` do not retry what failed (its next attempt is after `now`):
        # move the clock past the backoff until none of the 1,000 is still pending.
        while len(rounds) < 10:
            rounds.append(
                await asyncio.gather(
                    *(
                        run_pass(
                            create_session_factory(engine),
                            settings,
                            moment,
                            batch_size=25,
                            schedule=schedule_reminders,
                        )
                        for engine in engines
                    )
                )
            )
            if not await _pending(database, seller.seller_id):
                break
            moment += timedelta(days=1)  # past any backoff (60 s x 2^attempts, attempts < 10)
        elapsed = time.monotonic() - started
    finally:
        for engine in engines:
            await engine.dispose()

    errors = [error for results in rounds for result in results for error in result.errors]
    diagnosis = f"{len(rounds)} rounds; errors {errors[:10]}; gateway {gateway.server_errors[:3]}"
    received = smtp_server.handler.count_by_delivery() + gateway.count_by_delivery()
    ours = {delivery_id: received[delivery_id] for delivery_id in ids}
    assert sorted(set(ours.values())) == [1], diagnosis
    assert sum(ours.values()) == 1000
    assert len(rounds) >= 2 and len(errors) >= 20, diagnosis
    # Both workers took part in the first pass: the rows were split between them.
    assert all(result.claimed > 0 for result in rounds[0]), diagnosis
    # Each row was claimed once per attempt: its attempts are its first one plus one per failed
    # send reported. A row claimed by both workers would show one attempt more.
    failures = Counter(error.split(":", 1)[0] for error in errors)
    async with database.session_factory() as session:
        outcomes = (
            await session.execute(
                select(Delivery.id, Delivery.status, Delivery.attempts).where(
                    Delivery.seller_id == seller.seller_id
                )
            )
        ).all()
    assert len(outcomes) == 1000
    assert {status for _id, status, _attempts in outcomes} == {"SENT"}, diagnosis
    assert [
        (delivery_id, attempts)
        for delivery_id, _status, attempts in outcomes
        if attempts != 1 + failures[delivery_id]
    ] == []
    print(
        f"\n{database.backend}: 1000 messages by two workers in {elapsed:.1f}s, "
        f"{len(rounds)} round(s), {len(errors)} failed send(s) retried "
        f"(first split {rounds[0][0].claimed}/{rounds[0][1].claimed})"
    )


async def _pending(database: Database, seller_id: str) -> int:
    async with database.session_factory() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(Delivery)
            .where(Delivery.seller_id == seller_id, Delivery.status == "PENDING")
        )
    return count or 0


async def test_two_schedulers_queueing_the_same_messages_leave_one_row_each(
    database: Database, seller: SellerContext
) -> None:
    customer_id = await create_customer(database, seller.seller_id)
    invoice = await create_invoice(
        database, seller.seller_id, customer_id, invoice_number="INV-DUP", due_date=PINNED_TODAY
    )
    messages = [
        outbox.OutgoingMessage(
            kind=outbox.REMINDER,
            channel="EMAIL",
            recipient=f"ap{n}@buyer.example",
            dedupe_key=f"reminder:{customer_id}:rule:2026-12-02:{n}:EMAIL",
            invoice_ids=[invoice.id],
            customer_id=customer_id,
        )
        for n in range(50)
    ]
    engines = [create_engine(database.url), create_engine(database.url)]

    async def queue_with(engine: AsyncEngine) -> list[str]:
        async with create_session_factory(engine)() as session, session.begin():
            new = await outbox.queue(
                session, seller_id=seller.seller_id, messages=messages, now=NOW
            )
            await asyncio.sleep(0.05)  # hold the transaction open while the other one runs
            return new

    try:
        first, second = await asyncio.gather(*(queue_with(engine) for engine in engines))
    finally:
        for engine in engines:
            await engine.dispose()

    async with database.session_factory() as session:
        rows = await session.scalar(
            select(func.count()).select_from(Delivery).where(Delivery.seller_id == seller.seller_id)
        )
        links = await session.scalar(
            select(func.count())
            .select_from(DeliveryInvoice)
            .where(DeliveryInvoice.seller_id == seller.seller_id)
        )
    assert sorted([len(first), len(second)]) == [0, 50]
    assert rows == 50
    assert links == 50
