"""`khata serve` on SQLite delivers webhooks in-process: the app's embedded worker sends them."""

import asyncio

import pytest

from khata.app import create_app
from khata.delivery.worker import EMBEDDED_WORKER_ENV
from khata.kit.ids import new_object_id
from khata.kit.timeutil import utc_now
from khata.models import WebhookEndpoint
from khata.webhook import events
from khata.webhook.events import Event, EventType
from tests.support import Database, SellerContext
from tests.webhook.receiver import Receiver
from tests.webhook.support import worker_settings


@pytest.mark.only_sqlite  # PostgreSQL deployments run `khata worker` processes
async def test_the_embedded_worker_delivers_webhooks_on_sqlite(
    database: Database,
    seller: SellerContext,
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    now = utc_now()  # wall clock ok: the embedded worker sends by the real clock
    receiver.secrets.append("whsec_embedded")
    async with database.session_factory() as session, session.begin():
        session.add(
            WebhookEndpoint(
                seller_id=seller.seller_id,
                id=new_object_id(),
                url=receiver.url,
                enabled_events=["*"],
                enabled=True,
                secret="whsec_embedded",
                deleted=False,
                created_at=now,
                updated_at=now,
            )
        )
        await session.flush()
        to = await events.subscribers(session, seller.seller_id)
        data = {"jobId": "embedded"}
        await events.record(
            session, to=to, events=[Event(EventType.BULK_JOB_COMPLETED, data)], now=now
        )
    monkeypatch.setenv(EMBEDDED_WORKER_ENV, "1")
    app = create_app(worker_settings(database), engine=database.engine)

    async with app.router.lifespan_context(app):
        for _ in range(100):
            if receiver.accepted():
                break
            await asyncio.sleep(0.1)

    (got,) = receiver.received
    assert got.valid and got.body["data"] == {"jobId": "embedded"}
