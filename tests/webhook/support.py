"""Helpers of the webhook tests: an endpoint pointed at the receiver, a worker pass at a given
moment (webhooks only), and an endpoint's delivery log."""

from datetime import UTC, datetime
from typing import Any

import httpx

from khata.config import Settings
from khata.delivery.worker import PassResult, run_webhook_pass
from khata.webhook.sender import send_webhooks
from tests.support import Database, SellerContext
from tests.webhook.conftest import ALLOW
from tests.webhook.receiver import Receiver

# 2026-11-21 12:00 in Kolkata: the suite's day.
T0 = datetime(2026, 11, 21, 6, 30, tzinfo=UTC)


def worker_settings(
    database: Database, *, allow: str = ALLOW, lease_seconds: int = 600
) -> Settings:
    return Settings(
        database_url=database.url,
        public_base_url="http://test",
        webhook_allow_hosts=allow,
        delivery_backoff_seconds=60,
        delivery_lease_seconds=lease_seconds,
    )


async def create_endpoint(
    client: httpx.AsyncClient,
    seller: SellerContext,
    receiver: Receiver,
    events: list[str] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """An endpoint at the receiver; the receiver learns its secret, as an integrator would."""
    body = {"url": receiver.url, "enabledEvents": events or ["*"], **extra}
    response = await client.post("/api/v0/webhook-endpoint", json=body, headers=seller.headers)
    assert response.status_code == 200, response.text
    payload: dict[str, Any] = response.json()["payload"]
    receiver.secrets.append(payload["secret"])
    return payload


async def deliver(database: Database, at: datetime, *, allow: str = ALLOW) -> PassResult:
    """One webhook pass of the worker with its clock at `at`."""
    return await run_webhook_pass(
        send_webhooks,
        database.session_factory,
        worker_settings(database, allow=allow),
        clock=lambda: at,
        worker_id=f"test-worker-{at.timestamp()}",
    )


async def delivery_log(
    client: httpx.AsyncClient, seller: SellerContext, endpoint_id: str, **params: Any
) -> dict[str, Any]:
    response = await client.get(
        f"/api/v0/webhook-endpoint/{endpoint_id}/deliveries", headers=seller.headers, params=params
    )
    assert response.status_code == 200, response.text
    payload: dict[str, Any] = response.json()["payload"]
    return payload
