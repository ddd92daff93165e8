"""The rules of webhook endpoints: which URLs and events, the secret and its rotation, the
delivery log and a delivery sent again on request."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from khata.auth.service import Caller
from khata.config import Settings
from khata.kit.errors import FieldError, ValidationFailed
from khata.kit.ids import new_object_id
from khata.models import WebhookDelivery, WebhookEndpoint
from khata.models.webhook_delivery import WebhookDeliveryStatus
from khata.webhook import repository
from khata.webhook.errors import EndpointNotFound, WebhookDeliveryNotFound
from khata.webhook.events import ALL_EVENTS, RETRY_WINDOW, EventType
from khata.webhook.schemas import EndpointCreate, EndpointUpdate
from khata.webhook.signing import new_secret
from khata.webhook.urls import UnsafeUrl, check_url

EVENT_TYPES = frozenset(t.value for t in EventType)


@dataclass(frozen=True)
class Created:
    """An endpoint and the secret it was given: the one answer that shows the secret."""

    endpoint: WebhookEndpoint
    secret: str


async def _checked_url(url: str, settings: Settings) -> str:
    try:
        await check_url(url, settings.webhook_allowed_hosts, must_resolve=False)
    except UnsafeUrl as exc:
        raise ValidationFailed([FieldError("url", str(exc), url)]) from exc
    return url


def _checked_events(events: list[str]) -> list[str]:
    unknown = [e for e in events if e not in EVENT_TYPES and e != ALL_EVENTS]
    if unknown:
        message = f"unknown event types {unknown}; known: {sorted(EVENT_TYPES)} or ['*']"
        raise ValidationFailed([FieldError("enabledEvents", message, unknown)])
    return [ALL_EVENTS] if ALL_EVENTS in events else sorted(set(events))


async def create_endpoint(
    session: AsyncSession,
    *,
    caller: Caller,
    data: EndpointCreate,
    now: datetime,
    settings: Settings,
) -> Created:
    endpoint = WebhookEndpoint(
        seller_id=caller.seller_id,
        id=new_object_id(now.timestamp()),
        url=await _checked_url(data.url, settings),
        description=data.description,
        enabled_events=_checked_events(data.enabledEvents),
        enabled=data.enabled,
        secret=new_secret(),
        previous_secret=None,
        previous_secret_expires_at=None,
        deleted=False,
        created_at=now,
        updated_at=now,
    )
    session.add(endpoint)
    await session.flush()
    return Created(endpoint, endpoint.secret)


async def load_endpoint(session: AsyncSession, caller: Caller, endpoint_id: str) -> WebhookEndpoint:
    """The caller's own endpoint; another seller's id is simply not found."""
    endpoint = await repository.get_endpoint(session, caller.seller_id, endpoint_id)
    if endpoint is None:
        raise EndpointNotFound(endpoint_id)
    return endpoint


async def list_endpoints(session: AsyncSession, caller: Caller) -> list[WebhookEndpoint]:
    return await repository.list_endpoints(session, caller.seller_id)


async def update_endpoint(
    session: AsyncSession,
    *,
    caller: Caller,
    endpoint_id: str,
    data: EndpointUpdate,
    now: datetime,
    settings: Settings,
) -> WebhookEndpoint:
    endpoint = await load_endpoint(session, caller, endpoint_id)
    if data.url is not None:
        endpoint.url = await _checked_url(data.url, settings)
    if data.enabledEvents is not None:
        endpoint.enabled_events = _checked_events(data.enabledEvents)
    if data.enabled is not None:
        endpoint.enabled = data.enabled
    if "description" in data.model_fields_set:
        endpoint.description = data.description
    endpoint.updated_at = now
    await session.flush()
    return endpoint


async def delete_endpoint(
    session: AsyncSession, *, caller: Caller, endpoint_id: str, now: datetime
) -> WebhookEndpoint:
    """Nothing more is sent to it; its log stays readable through its deliveries' rows."""
    endpoint = await load_endpoint(session, caller, endpoint_id)
    endpoint.deleted = True
    endpoint.enabled = False
    endpoint.updated_at = now
    await session.flush()
    return endpoint


async def rotate_secret(
    session: AsyncSession, *, caller: Caller, endpoint_id: str, expires_in_hours: int, now: datetime
) -> Created:
    """A new secret signs from now on; the current one keeps signing too for the grace period
    (0: it stops at once), so receivers can switch without dropping events."""
    endpoint = await load_endpoint(session, caller, endpoint_id)
    endpoint.previous_secret = endpoint.secret if expires_in_hours > 0 else None
    endpoint.previous_secret_expires_at = (
        now + timedelta(hours=expires_in_hours) if expires_in_hours > 0 else None
    )
    endpoint.secret = new_secret()
    endpoint.updated_at = now
    await session.flush()
    return Created(endpoint, endpoint.secret)


async def deliveries_page(
    session: AsyncSession, *, caller: Caller, endpoint_id: str, offset: int, limit: int
) -> tuple[list[WebhookDelivery], int]:
    await load_endpoint(session, caller, endpoint_id)
    return await repository.deliveries_page(
        session, seller_id=caller.seller_id, endpoint_id=endpoint_id, offset=offset, limit=limit
    )


async def retry_delivery(
    session: AsyncSession, *, caller: Caller, endpoint_id: str, delivery_id: str, now: datetime
) -> WebhookDelivery:
    """Due again now, with a fresh retry window; a delivery a worker holds right now is left
    to it (its outcome would be refused otherwise), and answered as it stands."""
    await load_endpoint(session, caller, endpoint_id)
    row = await repository.get_delivery(
        session, seller_id=caller.seller_id, endpoint_id=endpoint_id, delivery_id=delivery_id
    )
    if row is None:
        raise WebhookDeliveryNotFound(delivery_id)
    in_flight = row.status == WebhookDeliveryStatus.PENDING and row.next_attempt_at > now
    if in_flight and row.claim_token is not None:
        return row
    row.status = WebhookDeliveryStatus.PENDING.value
    row.next_attempt_at = now
    row.give_up_at = max(row.give_up_at, now + RETRY_WINDOW)
    row.claim_token = None
    await session.flush()
    return row
