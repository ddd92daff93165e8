"""The event recorder: writes an event and its deliveries in the caller's transaction (outbox).

Every domain that changes something a webhook tells of calls `record` with the AR payload of
the object; a rollback of the change takes the event with it, and only a committed change is
ever delivered.
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from khata.kit.ids import new_object_id
from khata.models import WebhookEndpoint
from khata.models.webhook_delivery import WebhookDeliveryStatus
from khata.webhook import repository

# Retries stop this long after the event; the next failure makes the delivery DEAD.
RETRY_WINDOW = timedelta(days=3)
ALL_EVENTS = "*"


class EventType(StrEnum):
    INVOICE_CREATED = "invoice.created"
    INVOICE_DISPATCHED = "invoice.dispatched"
    INVOICE_PAID = "invoice.paid"
    INVOICE_PARTIALLY_PAID = "invoice.partially_paid"
    INVOICE_OVERDUE = "invoice.overdue"
    INVOICE_DISPUTED = "invoice.disputed"
    INVOICE_ACCEPTED = "invoice.accepted"
    INVOICE_CANCELLED = "invoice.cancelled"
    # Defined for subscribers now; emitted once credit notes exist (issue 17's other half).
    CREDIT_NOTE_CREATED = "credit_note.created"
    PAYMENT_REPORTED = "payment.reported"
    PAYMENT_ACCEPTED = "payment.accepted"
    PAYMENT_REJECTED = "payment.rejected"
    BULK_JOB_COMPLETED = "bulk_job.completed"


@dataclass(frozen=True)
class Event:
    type: EventType
    data: dict[str, Any]
    # Set for events that must exist once per object whoever writes them (invoice.overdue).
    dedupe_key: str | None = None


def subscribes(endpoint: WebhookEndpoint, event_type: str) -> bool:
    return ALL_EVENTS in endpoint.enabled_events or event_type in endpoint.enabled_events


class Subscribers:
    """A seller's enabled endpoints, read once per change: asked first, so an object's payload
    is built only when some endpoint wants one of its events."""

    def __init__(self, seller_id: str, endpoints: Sequence[WebhookEndpoint]) -> None:
        self.seller_id = seller_id
        self.endpoints = list(endpoints)

    def want(self, event_type: str) -> bool:
        return any(subscribes(endpoint, event_type) for endpoint in self.endpoints)


async def subscribers(session: AsyncSession, seller_id: str) -> Subscribers:
    return Subscribers(seller_id, await repository.live_endpoints(session, seller_id))


async def sellers_subscribed_to(session: AsyncSession, event_type: str) -> list[str]:
    """Sellers with an enabled endpoint that wants `event_type` (for the scheduled events)."""
    endpoints = await repository.all_live_endpoints(session)
    return sorted({e.seller_id for e in endpoints if subscribes(e, event_type)})


def body_of(*, event_id: str, event: Event, seller_id: str, now: datetime) -> str:
    return json.dumps(
        {
            "id": event_id,
            "type": event.type.value,
            "createdOn": now.isoformat(),
            "sellerId": seller_id,
            "data": event.data,
        },
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
    )


async def record(
    session: AsyncSession, *, to: Subscribers, events: Sequence[Event], now: datetime
) -> list[str]:
    """Write each event some endpoint subscribes to, and one PENDING delivery per such
    endpoint, due now; answers the ids of the events written. An event nobody subscribes to
    is not stored: there is no one to tell."""
    written: list[str] = []
    deliveries: list[dict[str, Any]] = []
    for event in events:
        targets = [e for e in to.endpoints if subscribes(e, event.type)]
        if not targets:
            continue
        event_id = new_object_id(now.timestamp())
        values = {
            "seller_id": to.seller_id,
            "id": event_id,
            "type": event.type.value,
            "body": body_of(event_id=event_id, event=event, seller_id=to.seller_id, now=now),
            "dedupe_key": event.dedupe_key,
            "created_at": now,
        }
        if not await repository.insert_event(session, values):
            continue  # a once-only event someone else already wrote
        written.append(event_id)
        deliveries += [_delivery(to.seller_id, event_id, event.type, e.id, now) for e in targets]
    await repository.insert_deliveries(session, deliveries)
    return written


def _delivery(
    seller_id: str, event_id: str, event_type: str, endpoint_id: str, now: datetime
) -> dict[str, Any]:
    return {
        "seller_id": seller_id,
        "id": new_object_id(now.timestamp()),
        "endpoint_id": endpoint_id,
        "event_id": event_id,
        "event_type": event_type,
        "status": WebhookDeliveryStatus.PENDING.value,
        "attempts": 0,
        "next_attempt_at": now,
        "give_up_at": now + RETRY_WINDOW,
        "delivered_at": None,
        "last_status_code": None,
        "last_error": None,
        "claim_token": None,
        "created_at": now,
    }
