"""Webhook events about invoices: the AR payload of each changed invoice, handed to the event
recorder in the change's transaction; and the daily invoice.overdue pass (a read-side module:
it also reads the invoices that have just fallen overdue)."""

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta

from sqlalchemy import exists, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from khata.config import get_settings
from khata.invoice import repository
from khata.invoice.ar_views import NOT_OVERDUE_STATUSES, invoice_payloads
from khata.kit.timeutil import local_date
from khata.models import Invoice, Seller, WebhookEvent
from khata.webhook import events
from khata.webhook.events import Event, EventType, Subscribers

# invoice.overdue is told the day after the due date; an invoice that fell overdue longer ago
# than this (the worker was down, or the endpoint is new) is not told late.
OVERDUE_LOOKBACK = timedelta(days=7)
OVERDUE_PREFIX = "invoice.overdue:"


async def record_invoice_events(
    session: AsyncSession,
    *,
    seller: Seller,
    changes: Sequence[tuple[EventType, Invoice]],
    now: datetime,
    to: Subscribers | None = None,
) -> None:
    """One event per (type, invoice) some endpoint of the seller subscribes to, its data the
    invoice as GET /api/v0/invoice/{id} shows it after the change. Nothing is read or built
    when no endpoint wants any of them."""
    to = to or await events.subscribers(session, seller.id)
    wanted = [(event_type, invoice) for event_type, invoice in changes if to.want(event_type)]
    if not wanted:
        return
    await session.flush()
    payloads = await invoice_payloads(
        session,
        invoices=[invoice for _, invoice in wanted],
        time_zone=seller.time_zone,
        now=now,
        # Outside a request there is no base URL to take links from but the configured one.
        public_base_url=get_settings().links_base_url,
    )
    await events.record(
        session,
        to=to,
        events=[Event(t, p) for (t, _), p in zip(wanted, payloads, strict=True)],
        now=now,
    )


async def record_created(
    session: AsyncSession, *, seller: Seller, invoice_ids: Collection[str], now: datetime
) -> None:
    """invoice.created for invoices inserted as rows (orders invoiced): loaded only if wanted."""
    to = await events.subscribers(session, seller.id)
    if not to.want(EventType.INVOICE_CREATED):
        return
    found = await repository.get_invoices(session, seller.id, list(invoice_ids))
    changes = [(EventType.INVOICE_CREATED, found[i]) for i in invoice_ids if i in found]
    await record_invoice_events(session, seller=seller, changes=changes, now=now, to=to)


async def record_overdue_events(session: AsyncSession, *, now: datetime) -> int:
    """invoice.overdue, once per invoice, for every invoice whose due date passed (in its
    seller's time zone) within the lookback and that still has a balance; answers how many.

    Once across workers: the event carries the dedupe key "invoice.overdue:<invoice id>",
    unique per seller, so two schedulers writing it at once insert one row; an invoice told
    already is not even read again."""
    sellers = await _subscribed_sellers(session)
    told = 0
    for seller in sellers:
        today = local_date(now, seller.time_zone)
        told_already = exists().where(
            WebhookEvent.seller_id == Invoice.seller_id,
            WebhookEvent.dedupe_key == literal(OVERDUE_PREFIX) + Invoice.id,
        )
        query = select(Invoice).where(
            Invoice.seller_id == seller.id,
            Invoice.deleted.is_(False),
            Invoice.due_date < today,
            Invoice.due_date >= today - OVERDUE_LOOKBACK,
            Invoice.balance_amount > 0,
            Invoice.receivable_status.not_in([s.value for s in NOT_OVERDUE_STATUSES]),
            ~told_already,
        )
        invoices = list((await session.execute(query)).scalars())
        if not invoices:
            continue
        to = await events.subscribers(session, seller.id)
        payloads = await invoice_payloads(
            session,
            invoices=invoices,
            time_zone=seller.time_zone,
            now=now,
            public_base_url=get_settings().links_base_url,
        )
        overdue = [
            Event(EventType.INVOICE_OVERDUE, payload, dedupe_key=OVERDUE_PREFIX + invoice.id)
            for invoice, payload in zip(invoices, payloads, strict=True)
        ]
        told += len(await events.record(session, to=to, events=overdue, now=now))
    return told


async def _subscribed_sellers(session: AsyncSession) -> list[Seller]:
    seller_ids = await events.sellers_subscribed_to(session, EventType.INVOICE_OVERDUE)
    if not seller_ids:
        return []
    query = select(Seller).where(Seller.id.in_(seller_ids)).order_by(Seller.id)
    return list((await session.execute(query)).scalars())
