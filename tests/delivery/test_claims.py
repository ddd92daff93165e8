"""Claims on messages: a lease renewed while a send outlasts it, an outcome refused to a worker
whose claim another took over, and a stopping worker that finishes its sends in flight and gives
the rest back. Real SMTP servers that take their time answering."""

import asyncio
import contextlib
from collections.abc import Callable, Iterator
from datetime import timedelta

from sqlalchemy import select

from khata.delivery import outbox
from khata.delivery.worker import CONCURRENCY, PassResult, advancing_from, run_pass
from khata.models import Delivery
from tests.delivery.factories import create_invoice, worker_settings
from tests.delivery.servers import MailHandler, start_smtp
from tests.delivery.test_worker import NOW, deliveries, queue_dispatch, unique_contact
from tests.support import PINNED_TODAY, Database, SellerContext, create_customer


@contextlib.contextmanager
def slow_smtp(hold_seconds: float) -> Iterator[tuple[MailHandler, int]]:
    """An SMTP server that keeps each message at once and answers 250 `hold_seconds` later."""
    handler = MailHandler(hold_seconds=hold_seconds)
    controller, port = start_smtp(handler)
    try:
        yield handler, port
    finally:
        controller.stop()


async def _wait_for(condition: Callable[[], object], seconds: float = 20.0) -> None:
    for _ in range(int(seconds / 0.02)):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the condition never came true")


async def _one_dispatch(database: Database, seller: SellerContext, number: str) -> tuple[str, str]:
    """A dispatch e-mail queued at NOW: (its delivery id, its recipient)."""
    contact = unique_contact()
    customer_id = await create_customer(database, seller.seller_id, contacts=[contact])
    invoice = await create_invoice(
        database, seller.seller_id, customer_id, invoice_number=number, due_date=PINNED_TODAY
    )
    [delivery_id] = await queue_dispatch(database, seller.seller_id, customer_id, [invoice.id], NOW)
    return delivery_id, str(contact["email"])


async def test_a_send_that_outlasts_the_lease_keeps_its_claim(
    database: Database, seller: SellerContext
) -> None:
    with slow_smtp(2.5) as (handler, port):
        delivery_id, email = await _one_dispatch(database, seller, "INV-LEASE")
        settings = worker_settings(database, smtp_port=port, lease_seconds=1)
        # One clock for both workers, as one wall clock for two processes.
        clock = advancing_from(NOW)
        first = asyncio.create_task(
            run_pass(database.session_factory, settings, schedule=None, clock=clock)
        )
        await _wait_for(lambda: handler.to(email))
        await asyncio.sleep(1.5)  # past the lease the claim was taken with
        second = await run_pass(database.session_factory, settings, schedule=None, clock=clock)
        result = await first
        [row] = [r for r in await deliveries(database, seller.seller_id) if r.id == delivery_id]

    # The heartbeat renewed the lease: the second worker found nothing due, nothing went twice.
    assert second.claimed == 0
    assert (result.sent, result.lost) == (1, 0)
    assert len(handler.to(email)) == 1
    assert (row.status, row.attempts) == ("SENT", 1)


async def test_a_worker_whose_claim_was_taken_over_does_not_record(
    database: Database, seller: SellerContext
) -> None:
    with slow_smtp(2.0) as (handler, port):
        delivery_id, email = await _one_dispatch(database, seller, "INV-TAKEN")
        settings = worker_settings(database, smtp_port=port, lease_seconds=60)
        # A stalled worker: its clock (and so its renewals) stuck at NOW, lease until NOW + 60 s.
        stalled = asyncio.create_task(
            run_pass(database.session_factory, settings, schedule=None, clock=lambda: NOW)
        )
        await _wait_for(lambda: handler.to(email))
        # Another worker 61 s on finds the lease run out and takes the message over.
        later = NOW + timedelta(seconds=61)
        takeover = await run_pass(
            database.session_factory, settings, schedule=None, clock=lambda: later
        )
        stalled_result = await stalled
        [row] = [r for r in await deliveries(database, seller.seller_id) if r.id == delivery_id]

    assert (takeover.claimed, takeover.sent, takeover.lost) == (1, 1, 0)
    # The stalled worker's send went out (it was in flight), but its outcome was refused.
    assert (stalled_result.sent, stalled_result.lost) == (1, 1)
    assert (row.status, row.attempts, row.sent_at) == ("SENT", 2, later)
    assert str(row.claim_token).endswith("#2")
    # The one duplicate is the send in flight, and it is recognisable: the same Message-ID.
    mails = handler.to(email)
    assert len(mails) == 2
    assert len({m.message["Message-ID"] for m in mails}) == 1


async def _queue_many(database: Database, seller_id: str, count: int) -> list[str]:
    customer_id = await create_customer(database, seller_id)
    invoice = await create_invoice(
        database, seller_id, customer_id, invoice_number="INV-STOP", due_date=PINNED_TODAY
    )
    messages = [
        outbox.OutgoingMessage(
            kind=outbox.DISPATCH,
            channel=outbox.EMAIL,
            recipient=f"stop-{n}@{seller_id.lower()}.example",
            dedupe_key=f"stop:{n}",
            invoice_ids=[invoice.id],
            customer_id=customer_id,
        )
        for n in range(count)
    ]
    async with database.session_factory() as session, session.begin():
        return await outbox.queue(session, seller_id=seller_id, messages=messages, now=NOW)


async def test_a_stopping_worker_finishes_its_sends_in_flight_and_gives_the_rest_back(
    database: Database, seller: SellerContext
) -> None:
    ids = await _queue_many(database, seller.seller_id, 3 * CONCURRENCY)
    with slow_smtp(0.5) as (handler, port):
        settings = worker_settings(database, smtp_port=port)
        stop = asyncio.Event()
        running = asyncio.create_task(
            run_pass(database.session_factory, settings, NOW, schedule=None, stop=stop)
        )
        await _wait_for(lambda: len(handler.mails) >= CONCURRENCY)
        stop.set()
        stopped: PassResult = await running
        after_stop = await _rows(database, ids)
        received_at_stop = handler.count_by_delivery()
        later = NOW + timedelta(minutes=1)
        again = await run_pass(database.session_factory, settings, later, schedule=None)
        received = handler.count_by_delivery()
        final = await _rows(database, ids)

    sent = {row.id for row in after_stop if row.status == "SENT"}
    given_back = [row for row in after_stop if row.status == "PENDING"]
    # The sends under way when the stop came finished, and each was recorded.
    assert sent == {d for d in ids if received_at_stop[d]}
    assert (stopped.sent, stopped.released) == (len(sent), len(given_back))
    assert CONCURRENCY <= len(sent) < len(ids)
    # The others were never tried: due again at once, for any worker, the attempt not counted.
    assert {(r.attempts, r.claim_token) for r in given_back} == {(0, None)}
    assert all(r.next_attempt_at < later for r in given_back)
    assert again.sent == len(given_back)
    assert [received[d] for d in ids] == [1] * len(ids)
    assert {row.status for row in final} == {"SENT"}


async def _rows(database: Database, ids: list[str]) -> list[Delivery]:
    async with database.session_factory() as session:
        query = select(Delivery).where(Delivery.id.in_(ids)).order_by(Delivery.id)
        return list((await session.execute(query)).scalars())
