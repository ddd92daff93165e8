"""Webhook deliveries are claimed by the delivery worker's rules: a lease from the clock, and an
outcome written only by the claim's holder; a worker whose lease ran out finds its outcome
refused, and a repeat send carries the same event id."""

from datetime import datetime, timedelta

import httpx
from sqlalchemy import select

from khata.db import unit_of_work
from khata.delivery.claims import Claims
from khata.models import WebhookDelivery
from tests.invoice.ar_factories import create_invoice
from tests.support import Clock, Database, SellerContext, create_customer
from tests.webhook.receiver import Receiver
from tests.webhook.support import T0, create_endpoint, deliver, worker_settings


def _claims(database: Database, worker: str, at: list[datetime]) -> Claims[WebhookDelivery]:
    return Claims(
        database.session_factory,
        worker_settings(database, lease_seconds=60),
        clock=lambda: at[0],
        worker_id=worker,
        table=WebhookDelivery,
    )


async def test_an_outcome_is_refused_to_a_worker_whose_lease_ran_out(
    client: httpx.AsyncClient,
    database: Database,
    seller: SellerContext,
    receiver: Receiver,
    clock: Clock,
) -> None:
    clock.fixed = T0
    await create_endpoint(client, seller, receiver)
    await create_invoice(client, seller, await create_customer(database, seller.seller_id))
    now = [T0]  # the workers' clock, moved by the test
    stalled, other = _claims(database, "stalled", now), _claims(database, "other", now)

    async with unit_of_work(database.session_factory) as session:
        (row,) = [
            r for r in await stalled.claim(session, limit=10) if r.seller_id == seller.seller_id
        ]
    stalled.hold([row])
    key = (row.seller_id, row.id)
    now[0] = T0 + timedelta(seconds=30)
    async with unit_of_work(database.session_factory) as session:
        assert [r for r in await other.claim(session, limit=10) if r.id == row.id] == []

    # The stalled worker's lease runs out: the delivery is due again, for anyone.
    await deliver(database, T0 + timedelta(seconds=61))
    assert await stalled.record(key, {"status": "DEAD", "last_error": "late"}) is False
    async with database.session_factory() as session:
        stored = await session.scalar(select(WebhookDelivery).where(WebhookDelivery.id == row.id))
        assert stored is not None
        assert (stored.status, stored.attempts, stored.last_error) == ("DELIVERED", 2, None)
    (got,) = receiver.received
    assert got.valid and got.event_id == row.event_id
