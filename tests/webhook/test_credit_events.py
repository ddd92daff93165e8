"""credit_note.created: written in the credit note's transaction with the note's AR payload as
data (and invoice.paid when the note settles its invoice); a refused credit note writes none."""

import json
from typing import Any

import httpx
from sqlalchemy import select

from khata.models import WebhookEvent
from tests.credit.support import credit, credited
from tests.invoice.ar_factories import create_invoice
from tests.support import Clock, Database, SellerContext, create_customer
from tests.webhook.receiver import Receiver
from tests.webhook.support import T0, create_endpoint, deliver


async def _events(database: Database, seller_id: str) -> list[tuple[str, dict[str, Any]]]:
    async with database.session_factory() as session:
        rows = await session.execute(
            select(WebhookEvent.type, WebhookEvent.body)
            .where(WebhookEvent.seller_id == seller_id)
            .order_by(WebhookEvent.created_at, WebhookEvent.id)
        )
        return [(event_type, json.loads(body)["data"]) for event_type, body in rows]


async def test_credit_note_created_carries_the_note_and_settling_tells_invoice_paid(
    client: httpx.AsyncClient,
    database: Database,
    seller: SellerContext,
    receiver: Receiver,
    clock: Clock,
) -> None:
    clock.fixed = T0
    await create_endpoint(client, seller, receiver, ["credit_note.created", "invoice.paid"])
    customer_id = await create_customer(database, seller.seller_id)
    invoice = await create_invoice(client, seller, customer_id)
    first = await credited(client, seller, invoice["invoiceId"], amount=180)
    refused = await credit(client, seller, invoice["invoiceId"], amount=5000)
    assert refused.status_code == 422
    await credited(client, seller, invoice["invoiceId"], amount=1000)

    events = await _events(database, seller.seller_id)
    assert [t for t, _ in events] == ["credit_note.created", "credit_note.created", "invoice.paid"]
    assert events[0][1] == first
    assert events[2][1]["totalCredited"] == 1180 and events[2][1]["balanceAmount"] == 0

    await deliver(database, T0)
    assert sorted(r.body["type"] for r in receiver.received) == sorted(t for t, _ in events)
    assert all(r.valid for r in receiver.received)
