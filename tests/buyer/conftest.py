"""The buyer tests dispatch invoices and run the reminder scheduler, which queue messages; no
worker of theirs sends them. What a test queued is cancelled after it, so the worker of a later
test (tests/delivery) never finds someone else's messages ahead of its own."""

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select, update

from khata.models import Delivery
from khata.models.delivery import DeliveryStatus
from tests.support import Database


async def _pending(database: Database) -> set[tuple[str, str]]:
    async with database.session_factory() as session:
        rows = await session.execute(
            select(Delivery.seller_id, Delivery.id).where(Delivery.status == DeliveryStatus.PENDING)
        )
        return {(seller_id, delivery_id) for seller_id, delivery_id in rows}


@pytest.fixture(autouse=True)
async def _drop_queued_messages(database: Database) -> AsyncIterator[None]:
    before = await _pending(database)
    yield
    queued = await _pending(database) - before
    async with database.session_factory() as session, session.begin():
        for seller_id, delivery_id in queued:
            await session.execute(
                update(Delivery)
                .where(Delivery.seller_id == seller_id, Delivery.id == delivery_id)
                .values(status=DeliveryStatus.CANCELLED)
            )
