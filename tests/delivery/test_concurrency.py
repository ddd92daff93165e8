"""Two workers at once over 1,000 due messages: each is received exactly once."""

import asyncio
import time
from datetime import UTC, date, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from khata.db import create_engine, create_session_factory
from khata.delivery import outbox
from khata.delivery.worker import run_pass
from khata.models import Delivery, DeliveryInvoice
from tests.delivery.factories import create_invoice, worker_settings
from tests.delivery.servers import Gateway, SmtpServer
from tests.support import Database, SellerContext, create_customer

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
        database, seller.seller_id, customer_id, invoice_number="INV-1000", due_date=date.today()
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
    settings = worker_settings(database, smtp_port=smtp_server.port, gateway_url=gateway.url)
    # Each worker has its own engine (its own connections), like two processes would.
    engines = [create_engine(database.url), create_engine(database.url)]
    try:
        started = time.monotonic()
        results = await asyncio.gather(
            *(
                run_pass(create_session_factory(engine), settings, NOW, batch_size=25)
                for engine in engines
            )
        )
        elapsed = time.monotonic() - started
    finally:
        for engine in engines:
            await engine.dispose()

    received = smtp_server.handler.count_by_delivery() + gateway.count_by_delivery()
    ours = {delivery_id: received[delivery_id] for delivery_id in ids}
    assert sorted(set(ours.values())) == [1]
    assert sum(ours.values()) == 1000
    assert sum(result.sent for result in results) >= 1000
    # Both workers took part: the rows were split between them, not sent twice.
    assert all(result.claimed > 0 for result in results)
    # Each row was claimed once: a second claim would show as a second attempt.
    async with database.session_factory() as session:
        outcomes = (
            await session.execute(
                select(Delivery.status, Delivery.attempts, func.count())
                .where(Delivery.seller_id == seller.seller_id)
                .group_by(Delivery.status, Delivery.attempts)
            )
        ).all()
    assert [tuple(row) for row in outcomes] == [("SENT", 1, 1000)]
    print(
        f"\n{database.backend}: 1000 messages by two workers in {elapsed:.1f}s "
        f"(split {results[0].claimed}/{results[1].claimed})"
    )


async def test_two_schedulers_queueing_the_same_messages_leave_one_row_each(
    database: Database, seller: SellerContext
) -> None:
    customer_id = await create_customer(database, seller.seller_id)
    invoice = await create_invoice(
        database, seller.seller_id, customer_id, invoice_number="INV-DUP", due_date=date.today()
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
