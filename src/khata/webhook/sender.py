"""Sends due webhook deliveries for the worker: claimed, signed, POSTed and recorded through the
delivery worker's claims (one lease, heartbeat and holder-only outcome for both outboxes).

A delivery goes out twice only when its worker died (or stalled past its lease) while that
very POST was in flight; both carry the same `X-Khata-Event-Id`, so a receiver drops the repeat.
"""

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from khata.config import Settings
from khata.db import unit_of_work
from khata.delivery.claims import Claims
from khata.delivery.worker import PassResult
from khata.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from khata.models.webhook_delivery import WebhookDeliveryStatus
from khata.webhook import repository
from khata.webhook.signing import EVENT_ID_HEADER, SIGNATURE_HEADER, signature_header
from khata.webhook.urls import UnsafeUrl, check_url

log = logging.getLogger("khata.worker")

TIMEOUT_SECONDS = 10.0
CONCURRENCY = 8
# Retry n waits backoff * 2**(n-1) (KHATA_DELIVERY_BACKOFF_SECONDS, 60), at most this long.
MAX_BACKOFF = timedelta(hours=6)
DELIVERED, DEAD, CANCELLED = (
    WebhookDeliveryStatus.DELIVERED.value,
    WebhookDeliveryStatus.DEAD.value,
    WebhookDeliveryStatus.CANCELLED.value,
)


def next_attempt(
    *, attempts: int, now: datetime, give_up_at: datetime, backoff_seconds: int
) -> datetime | None:
    """When to try again after the `attempts`-th failed try at `now`; None once the retry
    window (3 days from the event) is over: the delivery is DEAD. The last try falls on the
    window's end."""
    if now >= give_up_at:
        return None
    doublings: int = max(attempts - 1, 0)
    wait = min(timedelta(seconds=backoff_seconds * 2**doublings), MAX_BACKOFF)
    due: datetime = min(now + wait, give_up_at)
    return due


def signing_secrets(endpoint: WebhookEndpoint, now: datetime) -> list[str]:
    """The current secret, and the one before it while its grace period lasts."""
    found = [endpoint.secret]
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret and expires is not None and now < expires:
        found.append(endpoint.previous_secret)
    return found


@dataclass(frozen=True)
class _Item:
    row: WebhookDelivery
    event: WebhookEvent | None
    endpoint: WebhookEndpoint | None

    @property
    def key(self) -> tuple[str, str]:
        return (self.row.seller_id, self.row.id)


async def _items(session: AsyncSession, rows: Sequence[WebhookDelivery]) -> list[_Item]:
    """Each claimed row with its event and endpoint: two queries per batch."""
    events = await repository.events_by_key(session, [(r.seller_id, r.event_id) for r in rows])
    endpoints = await repository.endpoints_by_key(
        session, [(r.seller_id, r.endpoint_id) for r in rows]
    )
    return [
        _Item(r, events.get((r.seller_id, r.event_id)), endpoints.get((r.seller_id, r.endpoint_id)))
        for r in rows
    ]


class _Sender:
    def __init__(
        self,
        http: httpx.AsyncClient,
        settings: Settings,
        result: PassResult,
        *,
        claims: Claims[WebhookDelivery],
        stop: asyncio.Event | None,
    ) -> None:
        self.http = http
        self.settings = settings
        self.result = result
        self.claims = claims
        self.stop = stop
        self.gate = asyncio.Semaphore(CONCURRENCY)

    async def send(self, item: _Item) -> None:
        endpoint = item.endpoint
        if item.event is None or endpoint is None or endpoint.deleted or not endpoint.enabled:
            self.result.cancelled += 1
            gone = endpoint is None or endpoint.deleted or item.event is None
            reason = "endpoint deleted" if gone else "endpoint disabled"
            await self._record(item, {"status": CANCELLED, "last_error": reason})
            return
        async with self.gate:
            if self.stop is not None and self.stop.is_set():
                return  # never started: its claim is released at the end of the pass
            if not self.claims.holds(item.key):
                self.result.lost += 1
                return
            values = await self._post(item.row, item.event, endpoint)
        await self._record(item, values)

    async def _post(
        self, row: WebhookDelivery, event: WebhookEvent, endpoint: WebhookEndpoint
    ) -> dict[str, Any]:
        try:
            # Again at send time: what the name resolves to may have changed since it was saved.
            await check_url(endpoint.url, self.settings.webhook_allowed_hosts, must_resolve=True)
        except UnsafeUrl as exc:
            return self._failed(row, f"refused URL: {exc}", None)
        now = self.claims.clock()
        body = event.body.encode()
        headers = {
            "Content-Type": "application/json",
            EVENT_ID_HEADER: event.id,
            SIGNATURE_HEADER: signature_header(
                signing_secrets(endpoint, now), int(now.timestamp()), body
            ),
        }
        try:
            response = await self.http.post(endpoint.url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            return self._failed(row, f"{type(exc).__name__}: {exc}"[:2000], None)
        code = response.status_code
        if not 200 <= code < 300:  # a redirect is not followed: it counts as a failure
            return self._failed(row, f"answered {code}: {response.text[:200]}", code)
        self.result.sent += 1
        return {
            "status": DELIVERED,
            "delivered_at": self.claims.clock(),
            "last_status_code": code,
            "last_error": None,
        }

    def _failed(self, row: WebhookDelivery, error: str, code: int | None) -> dict[str, Any]:
        self.result.errors.append(f"webhook {row.id}: {error}")
        retry_at = next_attempt(
            attempts=row.attempts,
            now=self.claims.clock(),
            give_up_at=row.give_up_at,
            backoff_seconds=self.settings.delivery_backoff_seconds,
        )
        values: dict[str, Any] = {"last_error": error, "last_status_code": code}
        if retry_at is None:
            self.result.dead += 1
            return {**values, "status": DEAD}
        self.result.failed += 1
        # No claim left on a row waiting for its retry: a manual retry may take it at once.
        return {**values, "next_attempt_at": retry_at, "claim_token": None}

    async def _record(self, item: _Item, values: dict[str, Any]) -> None:
        try:
            if not await self.claims.record(item.key, values):
                self.result.lost += 1
        except Exception:  # the database is away: the claim runs out and the row is retried
            log.exception("webhook delivery %s: the outcome could not be recorded", item.row.id)
            self.result.errors.append(f"webhook {item.row.id}: outcome not recorded")


async def send_webhooks(
    session_factory: async_sessionmaker[AsyncSession],
    settings: Settings,
    *,
    claims: Claims[WebhookDelivery],
    result: PassResult,
    stop: asyncio.Event | None,
    batch_size: int,
) -> None:
    """Every webhook delivery due: claimed in batches, POSTed (at most CONCURRENCY at once,
    10 s each, redirects not followed), each outcome recorded as soon as it is known."""
    async with httpx.AsyncClient(timeout=TIMEOUT_SECONDS, follow_redirects=False) as http:
        sender = _Sender(http, settings, result, claims=claims, stop=stop)
        while stop is None or not stop.is_set():
            async with unit_of_work(session_factory) as session:
                rows = await claims.claim(session, limit=batch_size)
                items = await _items(session, rows)
            claims.hold(rows)
            if not items:
                break
            result.claimed += len(items)
            await asyncio.gather(*(sender.send(item) for item in items))
