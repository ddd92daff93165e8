"""AR dialect webhook endpoints: configure where events go, rotate the secret, read the log."""

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query
from fastapi.responses import Response

from khata.auth.deps import Caller
from khata.kit.envelopes import ArEnvelope
from khata.kit.pagination import MAX_OFFSET
from khata.kit.timeutil import enkash_timestamp
from khata.models import WebhookDelivery, WebhookEndpoint
from khata.models.webhook_delivery import WebhookDeliveryStatus
from khata.web.answers import AR_ERRORS, ar_answer, documented
from khata.web.deps import AppSettings, Now, Session
from khata.webhook import service
from khata.webhook.schemas import (
    DeliveryPage,
    DeliveryPayload,
    EndpointCreate,
    EndpointList,
    EndpointPayload,
    EndpointUpdate,
    SecretRotation,
)

router = APIRouter(tags=["webhooks"], responses=AR_ERRORS)
_ENDPOINT = documented(ArEnvelope[EndpointPayload])
_ONE = "/api/v0/webhook-endpoint/{endpointId}"
MAX_PAGE = 500


def _stamp(value: datetime | None, time_zone: str) -> str | None:
    return None if value is None else enkash_timestamp(value, time_zone)


def endpoint_wire(
    endpoint: WebhookEndpoint, time_zone: str, secret: str | None = None
) -> dict[str, Any]:
    wire: dict[str, Any] = {
        "id": endpoint.id,
        "url": endpoint.url,
        "enabledEvents": list(endpoint.enabled_events),
        "enabled": endpoint.enabled,
        "description": endpoint.description,
        "previousSecretExpiresOn": _stamp(endpoint.previous_secret_expires_at, time_zone),
        "createdOn": _stamp(endpoint.created_at, time_zone),
        "modifiedOn": _stamp(endpoint.updated_at, time_zone),
    }
    if secret is not None:
        wire["secret"] = secret
    return wire


def delivery_wire(row: WebhookDelivery, time_zone: str) -> dict[str, Any]:
    pending = row.status == WebhookDeliveryStatus.PENDING
    return {
        "id": row.id,
        "eventId": row.event_id,
        "type": row.event_type,
        "status": row.status,
        "attempts": row.attempts,
        "lastResponseCode": row.last_status_code,
        "lastError": row.last_error,
        "nextAttemptOn": _stamp(row.next_attempt_at, time_zone) if pending else None,
        "deliveredOn": _stamp(row.delivered_at, time_zone),
        "createdOn": _stamp(row.created_at, time_zone),
    }


@router.post("/api/v0/webhook-endpoint", summary="Add a webhook endpoint", responses=_ENDPOINT)
async def create_endpoint(
    body: EndpointCreate, session: Session, caller: Caller, now: Now, settings: AppSettings
) -> Response:
    created = await service.create_endpoint(
        session, caller=caller, data=body, now=now, settings=settings
    )
    return ar_answer(endpoint_wire(created.endpoint, caller.seller.time_zone, created.secret))


@router.get(
    "/api/v0/webhook-endpoint",
    summary="The seller's webhook endpoints",
    responses=documented(ArEnvelope[EndpointList]),
)
async def list_endpoints(session: Session, caller: Caller) -> Response:
    endpoints = await service.list_endpoints(session, caller)
    zone = caller.seller.time_zone
    return ar_answer({"endpoints": [endpoint_wire(e, zone) for e in endpoints]})


@router.get(_ONE, summary="One webhook endpoint", responses=_ENDPOINT)
async def get_endpoint(endpointId: str, session: Session, caller: Caller) -> Response:
    endpoint = await service.load_endpoint(session, caller, endpointId)
    return ar_answer(endpoint_wire(endpoint, caller.seller.time_zone))


@router.patch(_ONE, summary="Change a webhook endpoint", responses=_ENDPOINT)
async def update_endpoint(
    endpointId: str,
    body: EndpointUpdate,
    session: Session,
    caller: Caller,
    now: Now,
    settings: AppSettings,
) -> Response:
    endpoint = await service.update_endpoint(
        session, caller=caller, endpoint_id=endpointId, data=body, now=now, settings=settings
    )
    return ar_answer(endpoint_wire(endpoint, caller.seller.time_zone))


@router.delete(_ONE, summary="Remove a webhook endpoint", responses=_ENDPOINT)
async def delete_endpoint(endpointId: str, session: Session, caller: Caller, now: Now) -> Response:
    endpoint = await service.delete_endpoint(
        session, caller=caller, endpoint_id=endpointId, now=now
    )
    return ar_answer(endpoint_wire(endpoint, caller.seller.time_zone))


@router.post(
    f"{_ONE}/rotate-secret",
    summary="A new signing secret; the old one signs too for expiresInHours (default 24)",
    responses=_ENDPOINT,
)
async def rotate_secret(
    endpointId: str, session: Session, caller: Caller, now: Now, body: SecretRotation | None = None
) -> Response:
    hours = (body or SecretRotation()).expiresInHours
    rotated = await service.rotate_secret(
        session, caller=caller, endpoint_id=endpointId, expires_in_hours=hours, now=now
    )
    return ar_answer(endpoint_wire(rotated.endpoint, caller.seller.time_zone, rotated.secret))


@router.get(
    f"{_ONE}/deliveries",
    summary="The endpoint's deliveries, newest first",
    responses=documented(ArEnvelope[DeliveryPage]),
)
async def list_deliveries(
    endpointId: str,
    session: Session,
    caller: Caller,
    limit: int = Query(default=50, ge=1, le=MAX_PAGE),
    offset: int = Query(default=0, ge=0, le=MAX_OFFSET),
) -> Response:
    rows, total = await service.deliveries_page(
        session, caller=caller, endpoint_id=endpointId, offset=offset, limit=limit
    )
    zone = caller.seller.time_zone
    return ar_answer(
        {
            "deliveries": [delivery_wire(row, zone) for row in rows],
            "total_count": total,
            "offset": offset,
            "limit": limit,
        }
    )


@router.post(
    f"{_ONE}/deliveries/{{deliveryId}}/retry",
    summary="Send a delivery again now",
    responses=documented(ArEnvelope[DeliveryPayload]),
)
async def retry_delivery(
    endpointId: str, deliveryId: str, session: Session, caller: Caller, now: Now
) -> Response:
    row = await service.retry_delivery(
        session, caller=caller, endpoint_id=endpointId, delivery_id=deliveryId, now=now
    )
    return ar_answer(delivery_wire(row, caller.seller.time_zone))
