"""Every query of the webhook domain: endpoints, events, deliveries and their log."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, insert, select, tuple_
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from khata.models import WebhookDelivery, WebhookEndpoint, WebhookEvent


async def live_endpoints(session: AsyncSession, seller_id: str) -> list[WebhookEndpoint]:
    """The seller's enabled endpoints, whatever they subscribe to (one query per change)."""
    query = select(WebhookEndpoint).where(
        WebhookEndpoint.seller_id == seller_id,
        WebhookEndpoint.enabled.is_(True),
        WebhookEndpoint.deleted.is_(False),
    )
    return list((await session.execute(query)).scalars())


async def all_live_endpoints(session: AsyncSession) -> list[WebhookEndpoint]:
    """Every seller's enabled endpoints: a small table, read by the daily scheduler pass."""
    query = select(WebhookEndpoint).where(
        WebhookEndpoint.enabled.is_(True), WebhookEndpoint.deleted.is_(False)
    )
    return list((await session.execute(query)).scalars())


async def insert_event(session: AsyncSession, values: dict[str, Any]) -> bool:
    """Insert an event; one with a dedupe key already taken is skipped (answers False), so two
    schedulers writing the same once-only event at once insert it once."""
    dialect = session.get_bind().dialect.name
    make = postgresql_insert if dialect == "postgresql" else sqlite_insert
    query = (
        make(WebhookEvent)
        .on_conflict_do_nothing(index_elements=["seller_id", "dedupe_key"])
        .returning(WebhookEvent.id)
    )
    return (await session.execute(query, [values])).first() is not None


async def insert_events(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        await session.execute(insert(WebhookEvent), rows)


async def insert_deliveries(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        await session.execute(insert(WebhookDelivery), rows)


async def get_endpoint(
    session: AsyncSession, seller_id: str, endpoint_id: str
) -> WebhookEndpoint | None:
    endpoint = await session.get(WebhookEndpoint, (seller_id, endpoint_id))
    return None if endpoint is None or endpoint.deleted else endpoint


async def list_endpoints(session: AsyncSession, seller_id: str) -> list[WebhookEndpoint]:
    query = (
        select(WebhookEndpoint)
        .where(WebhookEndpoint.seller_id == seller_id, WebhookEndpoint.deleted.is_(False))
        .order_by(WebhookEndpoint.created_at, WebhookEndpoint.id)
    )
    return list((await session.execute(query)).scalars())


async def deliveries_page(
    session: AsyncSession, *, seller_id: str, endpoint_id: str, offset: int, limit: int
) -> tuple[list[WebhookDelivery], int]:
    """One page of an endpoint's deliveries, newest first, and how many there are."""
    where = (WebhookDelivery.seller_id == seller_id, WebhookDelivery.endpoint_id == endpoint_id)
    total = (await session.execute(select(func.count()).where(*where))).scalar_one()
    query = (
        select(WebhookDelivery)
        .where(*where)
        .order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return list((await session.execute(query)).scalars()), int(total)


async def get_delivery(
    session: AsyncSession, *, seller_id: str, endpoint_id: str, delivery_id: str
) -> WebhookDelivery | None:
    row = await session.get(WebhookDelivery, (seller_id, delivery_id), with_for_update=True)
    return row if row is not None and row.endpoint_id == endpoint_id else None


async def events_by_key(
    session: AsyncSession, keys: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], WebhookEvent]:
    if not keys:
        return {}
    query = select(WebhookEvent).where(
        tuple_(WebhookEvent.seller_id, WebhookEvent.id).in_(list(set(keys)))
    )
    return {(e.seller_id, e.id): e for e in (await session.execute(query)).scalars()}


async def endpoints_by_key(
    session: AsyncSession, keys: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], WebhookEndpoint]:
    if not keys:
        return {}
    query = select(WebhookEndpoint).where(
        tuple_(WebhookEndpoint.seller_id, WebhookEndpoint.id).in_(list(set(keys)))
    )
    return {(e.seller_id, e.id): e for e in (await session.execute(query)).scalars()}
