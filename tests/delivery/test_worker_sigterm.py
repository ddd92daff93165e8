"""`khata worker` on SIGTERM: it stops claiming, lets the sends in flight finish and records
them, gives its other claims back, and exits 0. A real process and a slow real SMTP server."""

import asyncio
import os
import signal
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select, update

from khata.delivery import outbox
from khata.models import Delivery
from tests.delivery.factories import create_invoice
from tests.delivery.processes import kill_group, start, tail, wait_exit
from tests.delivery.servers import MailHandler, start_smtp
from tests.support import PINNED_TODAY, Database, SellerContext, create_customer

NOW = datetime(2026, 12, 2, 6, 0, tzinfo=UTC)
COUNT = 40


async def _queue(database: Database, seller_id: str) -> list[str]:
    customer_id = await create_customer(database, seller_id)
    invoice = await create_invoice(
        database, seller_id, customer_id, invoice_number="INV-TERM", due_date=PINNED_TODAY
    )
    messages = [
        outbox.OutgoingMessage(
            kind=outbox.DISPATCH,
            channel=outbox.EMAIL,
            recipient=f"term-{n}@{seller_id.lower()}.example",
            dedupe_key=f"sigterm:{n}",
            invoice_ids=[invoice.id],
            customer_id=customer_id,
        )
        for n in range(COUNT)
    ]
    async with database.session_factory() as session, session.begin():
        return await outbox.queue(session, seller_id=seller_id, messages=messages, now=NOW)


async def test_sigterm_finishes_the_sends_in_flight_releases_the_rest_and_exits_0(
    database: Database, seller: SellerContext, tmp_path: Path
) -> None:
    ids = await _queue(database, seller.seller_id)
    handler = MailHandler(hold_seconds=0.4)
    controller, port = start_smtp(handler)
    env = {
        **os.environ,
        "KHATA_DATABASE_URL": database.url,
        "KHATA_PUBLIC_BASE_URL": "http://test",
        "KHATA_SMTP_HOST": "127.0.0.1",
        "KHATA_SMTP_PORT": str(port),
        "KHATA_PDF_RENDER_PROCESSES": "0",
    }
    log = tmp_path / "worker.log"
    worker = start(env, log, "worker", "--now", NOW.isoformat(), "--interval", "0.5")
    try:
        for _ in range(600):
            if any(handler.count_by_delivery()[d] for d in ids) or worker.poll() is not None:
                break
            await asyncio.sleep(0.05)
        kill_group(worker, signal.SIGTERM)
        code = await wait_exit(worker, 30.0)
    finally:
        kill_group(worker)
        controller.stop()
    received = handler.count_by_delivery()
    async with database.session_factory() as session:
        rows = list((await session.execute(select(Delivery).where(Delivery.id.in_(ids)))).scalars())

    assert code == 0, tail(log)
    assert "worker stopped" in tail(log)
    sent = {row.id for row in rows if row.status == "SENT"}
    # What was in flight went out once and was recorded; nothing else was sent.
    assert sent == {d for d in ids if received[d]}, tail(log)
    assert {received[d] for d in sent} == {1}
    assert 0 < len(sent) < COUNT
    # The claims it still held are back: due, never tried, held by nobody.
    rest = [row for row in rows if row.id not in sent]
    assert {(row.status, row.attempts, row.claim_token) for row in rest} == {("PENDING", 0, None)}
    await _cancel(database, [row.id for row in rest])


async def _cancel(database: Database, ids: list[str]) -> None:
    """Left PENDING, these would head the batches of later tests' worker passes."""
    async with database.session_factory() as session, session.begin():
        await session.execute(
            update(Delivery).where(Delivery.id.in_(ids)).values(status="CANCELLED")
        )
