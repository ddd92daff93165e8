"""Two real `khata worker --once` processes started together over 300 due messages: each
message reaches the servers exactly once and both processes take part.

On PostgreSQL the processes split the rows with FOR UPDATE SKIP LOCKED; on SQLite their
claim transactions (BEGIN IMMEDIATE) take turns on the write lock. Either way a row is
claimed by one process only."""

import asyncio
import os
import re
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from khata.delivery import outbox
from khata.models import Delivery
from tests.delivery.factories import create_invoice
from tests.delivery.servers import Gateway, SmtpServer
from tests.support import PINNED_TODAY, Database, SellerContext, create_customer

# Real processes: run once in `make test`, not again at each date of `make test-dates`.
pytestmark = pytest.mark.processes

NOW = datetime(2026, 12, 2, 4, 0, tzinfo=UTC)
CHANNELS = (("EMAIL", 100), ("SMS", 100), ("WHATSAPP", 100))


async def _worker(env: dict[str, str], moment: datetime) -> str:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "khata.cli",
        "worker",
        "--once",
        "--now",
        moment.isoformat(),
        # Small batches: each process comes back for more many times, so the two interleave.
        "--batch-size",
        "5",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await process.communicate()
    assert process.returncode == 0, output.decode()
    return output.decode()


def _figure(name: str, output: str) -> int:
    found = re.search(rf"{name}: (\d+)", output)
    assert found, output
    return int(found.group(1))


async def test_two_worker_processes_send_each_of_300_messages_exactly_once(
    database: Database, seller: SellerContext, smtp_server: SmtpServer, gateway: Gateway
) -> None:
    customer_id = await create_customer(database, seller.seller_id)
    invoice = await create_invoice(
        database, seller.seller_id, customer_id, invoice_number="INV-PROC", due_date=PINNED_TODAY
    )
    messages = [
        outbox.OutgoingMessage(
            kind=outbox.DISPATCH,
            channel=channel,
            recipient=f"proc-{n}@bulk.example" if channel == "EMAIL" else f"8{n:09d}",
            dedupe_key=f"processes:{channel}:{n}",
            invoice_ids=[invoice.id],
            customer_id=customer_id,
        )
        for channel, count in CHANNELS
        for n in range(count)
    ]
    async with database.session_factory() as session, session.begin():
        ids = await outbox.queue(session, seller_id=seller.seller_id, messages=messages, now=NOW)
    assert len(ids) == 300
    env = {
        **os.environ,
        "KHATA_DATABASE_URL": database.url,
        "KHATA_PUBLIC_BASE_URL": "http://test",
        "KHATA_SMTP_HOST": "127.0.0.1",
        "KHATA_SMTP_PORT": str(smtp_server.port),
        "KHATA_SMTP_FROM": "Khata Billing <billing@khata.test>",
        "KHATA_SMS_WEBHOOK_URL": f"{gateway.url}/sms",
        "KHATA_WHATSAPP_WEBHOOK_URL": f"{gateway.url}/whatsapp",
        "KHATA_WEBHOOK_SECRET": "test-webhook-secret",
        "KHATA_DELIVERY_MAX_ATTEMPTS": "20",
    }

    outputs = list(await asyncio.gather(_worker(env, NOW), _worker(env, NOW)))
    # A send refused by a busy machine is retried by a later pass, never repeated.
    retries = sum(_figure("retrying", output) for output in outputs)
    moment = NOW
    while retries and moment < NOW + timedelta(days=5):
        moment += timedelta(days=1)
        retries = _figure("retrying", await _worker(env, moment))

    received = smtp_server.handler.count_by_delivery() + gateway.count_by_delivery()
    ours = Counter({delivery_id: received[delivery_id] for delivery_id in ids})
    async with database.session_factory() as session:
        statuses = Counter(
            (
                await session.execute(
                    select(Delivery.status).where(Delivery.seller_id == seller.seller_id)
                )
            ).scalars()
        )
    claimed = [_figure("claimed", output) for output in outputs]
    assert sorted(set(ours.values())) == [1], outputs
    assert sum(ours.values()) == 300
    assert statuses == {"SENT": 300}
    # Both processes took part: with batches of 5 neither drains the queue alone.
    assert all(count > 0 for count in claimed), outputs
    assert sum(claimed) >= 300
    print(f"\n{database.backend}: two worker processes claimed {claimed[0]}/{claimed[1]}")
