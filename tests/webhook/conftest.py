"""Fixtures of the webhook tests: an app whose operator allows 127.0.0.1 over http (where the
test receiver listens), a receiver per test, and no pending delivery left to a later test."""

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import update

from khata.app import create_app
from khata.config import Settings
from khata.models import WebhookDelivery
from tests.support import Database
from tests.webhook.receiver import Receiver, running_receiver

ALLOW = "127.0.0.1"


@pytest.fixture(scope="session")
def app(database: Database, report_dir: Path) -> FastAPI:
    settings = Settings(
        database_url=database.url,
        report_dir=str(report_dir),
        public_base_url="http://test",
        webhook_allow_hosts=ALLOW,
    )
    return create_app(settings, engine=database.engine)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as the_receiver:
        yield the_receiver


@pytest.fixture(autouse=True)
async def _cancel_left_pending(database: Database) -> AsyncIterator[None]:
    """A test's deliveries still pending at its end would be claimed by the next test's pass
    (its clock may be days ahead): they are cancelled."""
    yield
    async with database.session_factory() as session, session.begin():
        await session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.status == "PENDING")
            .values(status="CANCELLED")
        )
